"""Issue 12.11: a real RVTools vInfo sheet gets the targets RVTools users expect.

Every column of RVTools' vInfo header (with values shaped like a real export) is checked: the
template flag, NIC count, firmware type and virtual hardware version have targets of their own,
the OS the VMware Tools report is the operating system (the configuration file's OS is kept as
the configured one), and the many VMware settings stay unmapped.
"""

from __future__ import annotations

import pytest

from core.mapping import load_target_schema, semantic
from core.values import FieldCoercer, FieldSpec

from .helpers import suggest
from .rvtools_sample import VINFO_HEADERS, vinfo_columns

# header -> acceptable targets; every other vInfo column must stay unmapped
EXPECTED: dict[str, set[str | None]] = {
    "VM": {"asset_name", "hostname"},
    "Powerstate": {"power_state"},
    "Template": {"is_template"},
    "DNS Name": {"fqdn", "hostname"},
    "Creation date": {"install_date"},  # its '2021/04/15 09:30:12' values read as dates (core.values.dates)
    "CPUs": {"cpu_cores"},
    "Memory": {"memory_gb"},
    "NICs": {"nic_count"},
    "Disks": {"disk_count"},
    "Total disk capacity MiB": {"storage_gb", None},
    "Provisioned MiB": {"storage_gb", None},
    "In Use MiB": {"storage_used_gb"},
    "Primary IP Address": {"ip_address"},
    "Network #1": {"subnet", None},
    "Annotation": {"description"},
    "Datacenter": {"datacenter"},
    "Cluster": {"cluster"},
    "Host": {"physical_host"},
    "Firmware": {"firmware_type"},
    "HW version": {"vm_hardware_version"},
    "OS according to the configuration file": {"os_configured"},
    "OS according to the VMware Tools": {"operating_system"},
    "VM ID": {"vm_id"},
    "SMBIOS UUID": {"serial_number"},
    "VM UUID": {"serial_number", "vm_id", "external_id", None},
    "VI SDK Server": {"vcenter"},
}
NEW_TARGETS = {
    "is_template": "boolean",
    "nic_count": "integer",
    "firmware_type": "string",
    "vm_hardware_version": "string",
    "os_configured": "string",
}
SEMANTIC = [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not semantic.available(), reason="semantic extra missing")),
]


def test_the_sample_is_the_real_vinfo_header() -> None:
    assert len(VINFO_HEADERS) == len(set(VINFO_HEADERS)) == 90
    assert set(EXPECTED) <= set(VINFO_HEADERS)


def test_the_new_targets_are_in_the_schema_beside_the_contract_fields() -> None:
    schema = load_target_schema()
    for name, kind in NEW_TARGETS.items():
        assert schema[name].type == kind and schema[name].unit is None
        assert schema[name].description and schema[name].synonyms


@pytest.mark.parametrize("use_semantic", SEMANTIC)
def test_every_vinfo_column_gets_the_target_rvtools_users_expect(use_semantic: bool) -> None:
    got = suggest(vinfo_columns(), use_semantic=use_semantic)
    wrong = {
        h: (got[h].target_field, got[h].explanation)
        for h in VINFO_HEADERS
        if got[h].target_field not in EXPECTED.get(h, {None})
    }
    assert not wrong
    storage = [h for h in ("Total disk capacity MiB", "Provisioned MiB") if got[h].target_field]
    assert len(storage) == 1
    assert got["Memory"].transformation_rules["scale"] == pytest.approx(1 / 1024)
    assert got[storage[0]].transformation_rules["scale"] == pytest.approx(1 / 1024)
    assert got["Template"].confidence >= 0.9 and got["NICs"].confidence >= 0.9
    assert "VMware Tools" in got["OS according to the configuration file"].explanation


def test_vmware_settings_next_to_the_new_targets_stay_unmapped_with_a_reason() -> None:
    got = suggest(vinfo_columns())
    for header in ("HW upgrade status", "HW upgrade policy", "HW target", "Overall Cpu Readiness",
                   "EFI Secure boot", "SRM Placeholder", "Guest Detailed Data"):  # fmt: skip
        assert got[header].target_field is None
        assert "no target field holds it" in got[header].explanation


def test_without_the_tools_column_the_configured_os_is_the_operating_system() -> None:
    columns = [c for c in vinfo_columns() if c[0] != "OS according to the VMware Tools"]
    got = suggest(columns)["OS according to the configuration file"]
    assert got.target_field == "operating_system"


def test_templates_are_flagged_and_a_name_column_is_no_template_flag() -> None:
    got = suggest([("VM", ["a", "b", "c"]), ("Template", ["False", "True", "false"])])
    assert got["Template"].target_field == "is_template"
    names = suggest([("Server", ["a", "b", "c"]), ("Template", ["Win2019-gold", "RHEL8-base", "Win2022"])])
    assert names["Template"].target_field is None
    assert "is_template" in names["Template"].explanation


def test_firmware_types_map_to_bios_or_efi_through_the_value_pipeline() -> None:
    got = suggest([("Server", ["a", "b", "c", "d"]), ("Boot type", ["UEFI", "BIOS", "Legacy", "UEFI"])])
    boot = got["Boot type"]
    assert boot.target_field == "firmware_type"
    rules = boot.transformation_rules
    coerce = FieldCoercer(FieldSpec("firmware_type", "string", None), rules)
    assert [coerce(v)[0] for v in ("UEFI", "BIOS", "Legacy", "efi")] == ["efi", "bios", "bios", "efi"]


def test_a_firmware_column_holding_versions_is_not_a_firmware_type() -> None:
    versions = ["U30 v2.54", "U30 v2.60", "P89 1.40"]
    got = suggest([("Host", ["esx01", "esx02", "esx03"]), ("Firmware", versions)])
    assert got["Firmware"].target_field is None
    assert "firmware_type" in got["Firmware"].explanation


def test_nic_count_of_vms_maps_but_a_host_list_keeps_its_uplinks_unmapped() -> None:
    nics = ["4", "6", "4", "8"]
    hosts = suggest(
        [
            ("Host", ["esx01", "esx02", "esx03", "esx04"]),
            ("# Cores", ["32", "48", "32", "64"]),
            ("# NICs", nics),
            ("# VMs", ["21", "35", "18", "40"]),
        ]
    )
    assert hosts["# NICs"].target_field is None
    assert "hypervisor hosts" in hosts["# NICs"].explanation
    vms = suggest([("VM", ["a", "b", "c", "d"]), ("# NICs", ["1", "2", "1", "1"])])
    assert vms["# NICs"].target_field == "nic_count"
