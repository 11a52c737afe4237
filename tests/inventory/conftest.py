"""A small estate seen by three overlapping sources, cleansed and inventoried (real PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.bootstrap import Core
from core.pipeline import run_flow
from core.uow import Tenant

from .builders import Made, make_import

VMW = "VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8"
INJECTIONS = ('=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rx", "\nx")


@dataclass
class Estate:
    cmdb: Made
    rvtools: Made
    sheet: Made


def build_estate(core: Core, tenant: Tenant, *, run: bool = True) -> Estate:
    cmdb = make_import(
        core, tenant, "cmdb_ci_server.csv",
        ["sys_id", "name", "fqdn", "ip", "serial", "os", "ram_mb", "env", "owner", "installed"],
        [
            ["c1", "WEB01", "", "10.0.0.1", VMW, "Windows Server 2019 Standard", "16384", "PROD", "J. Doe",
             "2020-03-15"],
            ["c2", "db01.corp.example.com", "", "10.0.0.2", "SN12345", "RHEL 8", "32768", "prd", "A. Smith",
             "13.04.2021"],
            ["c3", "app01", "app01.corp.example.com", "10.0.0.3", "", "Ubuntu 20.04", "lots", "Dev", "B. Lee",
             ""],
            ["c4", "web02", "", "10.0.0.5", "", "Windows Server 2016", "4096", "Test", "C. Kim", ""],
        ],
        {"sys_id": "external_id", "name": "hostname", "fqdn": "fqdn", "ip": "ip_address",
         "serial": "serial_number", "os": "operating_system", "ram_mb": ("memory_gb", {"scale": 1 / 1024}),
         "env": "environment", "owner": "business_owner", "installed": "install_date"},
        source_system="ServiceNow CMDB",
    )  # fmt: skip
    rvtools = make_import(
        core, tenant, "rvtools.xlsx",
        ["VM", "DNS Name", "Primary IP Address", "Memory", "OS", "VM ID", "VI SDK Server", "BIOS UUID",
         "Powerstate"],
        [
            ["web01", "web01.corp.example.com", "10.0.0.1", "16384", "Microsoft Windows Server 2019 (64-bit)",
             "vm-1", "vc01", "421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8", "poweredOn"],
            ["app01", "APP01.corp.example.com", "10.0.0.3", "8192", "Ubuntu Linux (64-bit)", "vm-3", "vc01",
             "11111111-2222-3333-4444-555555555555", "poweredOff"],
            ["web02", "web02.corp.example.com", "10.0.0.4", "4096", "Windows Server 2016", "vm-4", "vc01",
             "21111111-2222-3333-4444-555555555555", "poweredOn"],
            ["web02", "web02.dmz.example.com", "10.0.0.5", "4096", "Windows Server 2016", "vm-5", "vc01",
             "31111111-2222-3333-4444-555555555555", "poweredOn"],
        ],
        {"VM": "asset_name", "DNS Name": "fqdn", "Primary IP Address": "ip_address",
         "Memory": ("memory_gb", {"scale": 1 / 1024}), "OS": "operating_system", "VM ID": "vm_id",
         "VI SDK Server": "vcenter", "BIOS UUID": "serial_number", "Powerstate": "power_state"},
        source_system="RVTools",
    )  # fmt: skip
    sheet = make_import(
        core, tenant, "server_list.xlsx",
        ["Server Name", "IP", "RAM (GB)", "Environment", "Criticality", "Owner", "Notes"],
        [
            ["Web01", "10.0.0.1", "24", "Production", "Tier 1", "Ops Team", INJECTIONS[0]],
            ["DB01", "10.0.0.2", "32", "Production", "2", "", INJECTIONS[1]],
            ["web02", "", "4", "Test", "3", "", INJECTIONS[3]],
            ["newbox01", "10.0.0.9", "8", "Dev", "4", "", "-2+3"],
            ["", "", "", "", "Tier 2", "", ""],
        ],
        {"Server Name": "hostname", "IP": "ip_address", "RAM (GB)": "memory_gb", "Environment": "environment",
         "Criticality": "business_criticality", "Owner": "business_owner", "Notes": "description"},
    )  # fmt: skip
    estate = Estate(cmdb, rvtools, sheet)
    if run:
        for made in (cmdb, rvtools, sheet):
            run_flow(core.uows, tenant, made.flow_id)
    return estate


@pytest.fixture
def estate(core: Core, tenant: Tenant) -> Estate:
    return build_estate(core, tenant)
