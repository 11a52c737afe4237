"""One VMware VM's serial in its several spellings is one key: no false conflicts, one asset (issue 12.7).

Why: an RVTools export (vCenter's BIOS UUID), a ServiceNow CMDB (the guest's `VMware-42 1a …` BIOS
serial) and a Windows-side source (the SMBIOS UUID with its first three fields byte-swapped) name
the same VM; the inventory reported each pair as a `serial_number` conflict and, for the swapped
form, refused to join the records at all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.bootstrap import Core
from core.db.models import Asset
from core.inventory.identity import same_field_value
from core.pipeline import run_flow
from core.uow import Tenant
from core.values.identifiers import comparison_key, serial_key, swap_fields, uuid_digits, uuid_key, vm_id_key

from .builders import make_import

# one VM as each source writes it (vCenter config.uuid / .vmx uuid.bios / Win32_ComputerSystemProduct)
VCENTER = "421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8"
GUEST_SERIAL = "VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8"
WINDOWS = "3C2B1A42-5E4D-706F-8192-A3B4C5D6E7F8"
SAME_VM = (
    VCENTER,
    GUEST_SERIAL,
    WINDOWS,
    "{421A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8}",  # Azure Migrate / registry style
    "urn:uuid:421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8",
    "VMware-3c 2b 1a 42 5e 4d 70 6f-81 92 a3 b4 c5 d6 e7 f8",  # a guest serial of the swapped bytes
    "421A2B3C4D5E6F708192A3B4C5D6E7F8",
    "42 1A 2B 3C 4D 5E 6F 70-81 92 A3 B4 C5 D6 E7 F8",  # serial without its prefix
)
# a second pair seen in the field: a VM whose serial starts "VMware-6a f8"
OTHER_SERIAL = "VMware-6a f8 0c 1d 2e 3f 40 51-62 73 84 95 a6 b7 c8 d9"
OTHER_VCENTER = "6af80c1d-2e3f-4051-6273-8495a6b7c8d9"
OTHER_WINDOWS = "1D0CF86A-3F2E-5140-6273-8495A6B7C8D9"
# EC2 (Xen) instances show the same swap: "ec2…" in one order, "…2eec" in the other
EC2 = ("ec2e1916-9099-7caa-fd21-012345678901", "16192EEC-9990-AA7C-FD21-012345678901")


@pytest.mark.parametrize("form", SAME_VM)
def test_every_spelling_of_one_vm_has_one_key(form: str) -> None:
    assert serial_key(form) == serial_key(VCENTER) == uuid_key(form)
    assert same_field_value("serial_number", form, GUEST_SERIAL)


def test_swapped_pairs_seen_in_the_field() -> None:
    assert serial_key(OTHER_SERIAL) == serial_key(OTHER_VCENTER) == serial_key(OTHER_WINDOWS)
    assert serial_key(EC2[0]) == serial_key(EC2[1])
    assert swap_fields(uuid_digits(OTHER_VCENTER) or "") == uuid_digits(OTHER_WINDOWS)
    assert serial_key(OTHER_SERIAL) != serial_key(GUEST_SERIAL)


def test_different_machines_stay_different() -> None:
    neighbour = "421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f9"  # one digit off: another VM
    assert serial_key(neighbour) != serial_key(GUEST_SERIAL)
    assert not same_field_value("serial_number", neighbour, GUEST_SERIAL)
    assert not same_field_value("serial_number", "SN12345", "SN12346")
    assert same_field_value("serial_number", "7xk2 l13", "7XK2L13")  # a service tag up to case/space
    assert (
        serial_key("To be filled by O.E.M.") is None
        and serial_key("VMware-00 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00") is None
    )
    assert serial_key("00000000-0000-0000-0000-000000000000") is None and serial_key("n/a") is None
    # placeholders compare as text, not as "the same unknown key"
    assert not same_field_value("serial_number", "Default string", "To be filled by O.E.M.")


def test_vm_ids_compare_by_key_and_other_fields_as_before() -> None:
    assert vm_id_key("VM-123 ") == vm_id_key("vm-123") == "vm-123"
    assert same_field_value("vm_id", "{6AF80C1D-2E3F-4051-6273-8495A6B7C8D9}", OTHER_VCENTER)
    assert not same_field_value("vm_id", "vm-123", "vm-124")
    assert not same_field_value("hostname", VCENTER, WINDOWS)  # only identifier fields are keyed
    assert comparison_key("memory_gb", 16.0) == 16.0 and comparison_key("serial_number", 5) == 5


@pytest.fixture
def two_sources(core: Core, tenant: Tenant) -> dict[str, Asset]:
    """RVTools (vCenter's UUID, Windows' swapped form for one VM) and ServiceNow (guest serials)."""
    rvtools = make_import(
        core, tenant, "RVTools_export_all.xlsx",
        ["VM", "DNS Name", "Primary IP Address", "VM ID", "VI SDK Server", "SMBIOS UUID", "Memory"],
        [
            ["winapp07", "winapp07.corp.example.com", "10.2.0.7", "vm-1007", "vc01.corp.example.com",
             VCENTER, "8192"],
            ["lnxdb02", "lnxdb02.corp.example.com", "10.2.0.12", "vm-1012", "vc01.corp.example.com",
             OTHER_WINDOWS, "16384"],  # this source decoded the SMBIOS bytes the Windows way
            ["lnxweb03", "", "10.2.0.13", "vm-1013", "vc01.corp.example.com",
             "5c1e9a20-7b3d-4f86-9e12-3a4b5c6d7e8f", "4096"],
        ],
        {"VM": "asset_name", "DNS Name": "fqdn", "Primary IP Address": "ip_address", "VM ID": "vm_id",
         "VI SDK Server": "vcenter", "SMBIOS UUID": "serial_number",
         "Memory": ("memory_gb", {"scale": 1 / 1024})},
        source_system="RVTools",
    )  # fmt: skip
    cmdb = make_import(
        core, tenant, "cmdb_ci_vmware_instance.csv",
        ["sys_id", "name", "serial_number", "ip_address", "ram"],
        [
            ["9f1c", "WINAPP07", GUEST_SERIAL, "10.2.0.7", "8192"],
            ["9f2d", "lnxdb02.corp.example.com", OTHER_SERIAL, "10.2.0.12", "16384"],
            ["9f3e", "ci-orphan-17", "VMware-5c 1e 9a 20 7b 3d 4f 86-9e 12 3a 4b 5c 6d 7e 8f", "", "4096"],
        ],
        {"sys_id": "external_id", "name": "asset_name", "serial_number": "serial_number",
         "ip_address": "ip_address", "ram": ("memory_gb", {"scale": 1 / 1024})},
        source_system="ServiceNow CMDB",
    )  # fmt: skip
    for made in (rvtools, cmdb):
        run_flow(core.uows, tenant, made.flow_id)
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(select(Asset)).all()
        uow.session.expunge_all()
    return {str(a.vm_id): a for a in rows}


def test_two_sources_with_both_forms_give_one_asset_each_and_no_serial_conflict(
    two_sources: dict[str, Asset],
) -> None:
    assert sorted(two_sources) == ["vm-1007", "vm-1012", "vm-1013"]  # three VMs, three assets
    for asset in two_sources.values():
        assert len(asset.source_record_ids) == 2, asset.asset_name
        assert "serial_number" not in asset.field_conflicts, asset.field_conflicts
    # the discovery tool's spelling is the one shown; the CMDB's is a source of the same value
    assert two_sources["vm-1007"].serial_number == VCENTER
    assert two_sources["vm-1012"].serial_number == OTHER_WINDOWS
