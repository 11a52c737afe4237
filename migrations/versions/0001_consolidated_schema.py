"""Consolidated schema: every table, row-level security, the application role.

Built from scratch in one revision. Tables are owned by whoever runs the migration (the schema
owner); the application connects as members of the `md_app` group role, which owns nothing,
is not superuser, has no BYPASSRLS, and sees only rows of engagements its login role is a
member of (policies below).

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:59:17.499256
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _create_tables() -> None:
    op.create_table(
        "client_accounts",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_client_accounts_name")),
    )
    op.create_table(
        "users",
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("db_role", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_db_role"), "users", ["db_role"], unique=False)
    op.create_table(
        "engagements",
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=30), server_default="active", nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_engagements_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
        sa.UniqueConstraint("client_account_id", "name", name=op.f("uq_engagements_client_account_id_name")),
    )
    op.create_index(
        op.f("ix_engagements_client_account_id"), "engagements", ["client_account_id"], unique=False
    )
    op.create_table(
        "engagement_members",
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('lead', 'member', 'viewer')", name=op.f("ck_engagement_members_role")),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_engagement_members_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_engagement_members_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_engagement_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_members")),
        sa.UniqueConstraint(
            "engagement_id", "user_id", name=op.f("uq_engagement_members_engagement_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_engagement_members_client_account_id"),
        "engagement_members",
        ["client_account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engagement_members_engagement_id"), "engagement_members", ["engagement_id"], unique=False
    )
    op.create_index(op.f("ix_engagement_members_user_id"), "engagement_members", ["user_id"], unique=False)
    op.create_table(
        "flow_archive",
        sa.Column("flow_id", sa.UUID(), nullable=False),
        sa.Column("master_flow_id", sa.UUID(), nullable=True),
        sa.Column("flow_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("archived_reason", sa.String(length=200), nullable=False),
        sa.Column("flow_completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_flow_archive_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_flow_archive_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_archive")),
    )
    op.create_index(
        op.f("ix_flow_archive_client_account_id_engagement_id"),
        "flow_archive",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_flow_archive_flow_id"), "flow_archive", ["flow_id"], unique=False)
    op.create_table(
        "flow_events",
        sa.Column("flow_id", sa.UUID(), nullable=False),
        sa.Column("master_flow_id", sa.UUID(), nullable=True),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_flow_events_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_flow_events_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_events")),
    )
    op.create_index(
        op.f("ix_flow_events_client_account_id_engagement_id"),
        "flow_events",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_flow_events_event_type"), "flow_events", ["event_type"], unique=False)
    op.create_index(op.f("ix_flow_events_flow_id"), "flow_events", ["flow_id"], unique=False)
    op.create_index(op.f("ix_flow_events_master_flow_id"), "flow_events", ["master_flow_id"], unique=False)
    op.create_table(
        "mapping_memory",
        sa.Column("source_header", sa.Text(), nullable=False),
        sa.Column("value_fingerprint", sa.String(length=200), nullable=False),
        sa.Column("target_field", sa.String(length=100), nullable=False),
        sa.Column("transformation_rules", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("approved_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("last_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_mapping_memory_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_mapping_memory_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_memory")),
        sa.UniqueConstraint(
            "client_account_id",
            "source_header",
            "value_fingerprint",
            "target_field",
            name=op.f("uq_mapping_memory_client_account_id_source_header_value_fingerprint_target_field"),
        ),
    )
    op.create_index(
        op.f("ix_mapping_memory_client_account_id_engagement_id"),
        "mapping_memory",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_table(
        "master_flows",
        sa.Column("flow_type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("master_state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_master_flows_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_master_flows_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_master_flows_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_master_flows")),
    )
    op.create_index(
        op.f("ix_master_flows_client_account_id_engagement_id"),
        "master_flows",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_table(
        "data_imports",
        sa.Column("master_flow_id", sa.UUID(), nullable=True),
        sa.Column("filename", sa.String(length=1000), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("mime_type", sa.String(length=200), nullable=True),
        sa.Column("source_system", sa.String(length=200), nullable=True),
        sa.Column("sheet_name", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("columns", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("import_metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total_records", sa.Integer(), nullable=False),
        sa.Column("processed_records", sa.Integer(), nullable=False),
        sa.Column("failed_records", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("imported_by", sa.UUID(), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')", name=op.f("ck_data_imports_status")
        ),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_data_imports_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_data_imports_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_data_imports_imported_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["master_flow_id"],
            ["master_flows.id"],
            name=op.f("fk_data_imports_master_flow_id_master_flows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_imports")),
    )
    op.create_index(
        op.f("ix_data_imports_client_account_id_engagement_id"),
        "data_imports",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_data_imports_file_sha256"), "data_imports", ["file_sha256"], unique=False)
    op.create_index(op.f("ix_data_imports_master_flow_id"), "data_imports", ["master_flow_id"], unique=False)
    op.create_table(
        "discovery_flows",
        sa.Column("master_flow_id", sa.UUID(), nullable=False),
        sa.Column("data_import_id", sa.UUID(), nullable=True),
        sa.Column("flow_name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("current_phase", sa.String(length=40), nullable=False),
        sa.Column("phases_completed", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("progress_percentage", sa.Float(), nullable=False),
        sa.Column("data_import_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("field_mapping_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("data_cleansing_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("asset_inventory_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "dependency_analysis_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "tech_debt_assessment_completed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("flow_state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("crew_outputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("field_mappings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("discovered_assets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("dependencies", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tech_debt_analysis", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_phase", sa.String(length=40), nullable=True),
        sa.Column("error_details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('initializing', 'running', 'paused', 'waiting_for_review', 'failed', "
            "'recovered', 'cancelled', 'completed')",
            name=op.f("ck_discovery_flows_status"),
        ),
        sa.CheckConstraint(
            "progress_percentage >= 0 AND progress_percentage <= 100",
            name=op.f("ck_discovery_flows_progress"),
        ),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_discovery_flows_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_discovery_flows_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["data_import_id"],
            ["data_imports.id"],
            name=op.f("fk_discovery_flows_data_import_id_data_imports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_discovery_flows_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["master_flow_id"],
            ["master_flows.id"],
            name=op.f("fk_discovery_flows_master_flow_id_master_flows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_flows")),
    )
    op.create_index(
        op.f("ix_discovery_flows_client_account_id_engagement_id"),
        "discovery_flows",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_discovery_flows_data_import_id"), "discovery_flows", ["data_import_id"], unique=False
    )
    op.create_index(
        op.f("ix_discovery_flows_master_flow_id"), "discovery_flows", ["master_flow_id"], unique=False
    )
    op.create_table(
        "import_field_mappings",
        sa.Column("data_import_id", sa.UUID(), nullable=False),
        sa.Column("source_field", sa.Text(), nullable=False),
        sa.Column("source_position", sa.Integer(), nullable=False),
        sa.Column("target_field", sa.String(length=100), nullable=True),
        sa.Column("confidence_score", sa.Float(), nullable=False),
        sa.Column("match_type", sa.String(length=30), nullable=False),
        sa.Column("suggested_by", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved_by", sa.UUID(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transformation_rules", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("suggestion", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('suggested', 'approved', 'rejected', 'modified')",
            name=op.f("ck_import_field_mappings_status"),
        ),
        sa.CheckConstraint(
            "confidence_score >= 0 AND confidence_score <= 1",
            name=op.f("ck_import_field_mappings_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
            name=op.f("fk_import_field_mappings_approved_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_import_field_mappings_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_import_id"],
            ["data_imports.id"],
            name=op.f("fk_import_field_mappings_data_import_id_data_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_import_field_mappings_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_field_mappings")),
        sa.UniqueConstraint(
            "data_import_id",
            "source_field",
            name=op.f("uq_import_field_mappings_data_import_id_source_field"),
        ),
    )
    op.create_index(
        op.f("ix_import_field_mappings_client_account_id_engagement_id"),
        "import_field_mappings",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_import_field_mappings_data_import_id"),
        "import_field_mappings",
        ["data_import_id"],
        unique=False,
    )
    op.create_table(
        "raw_import_records",
        sa.Column("data_import_id", sa.UUID(), nullable=False),
        sa.Column("record_index", sa.Integer(), nullable=False),
        sa.Column("cells", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("is_processed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_valid", sa.Boolean(), nullable=True),
        sa.Column("validation_errors", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("cleansed_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", "data_import_id", name=op.f("pk_raw_import_records")),
        # The tenant columns lead the one secondary index (it serves tenant scans and ordered reads
        # of an import alike); two indexes per partition instead of three keep bulk imports fast.
        sa.UniqueConstraint(
            "client_account_id",
            "engagement_id",
            "data_import_id",
            "record_index",
            name=op.f("uq_raw_import_records_tenant_import_record"),
        ),
        postgresql_partition_by="LIST (data_import_id)",
    )
    op.execute("CREATE TABLE raw_import_records_default PARTITION OF raw_import_records DEFAULT")
    op.create_table(
        "assets",
        sa.Column("master_flow_id", sa.UUID(), nullable=True),
        sa.Column("discovery_flow_id", sa.UUID(), nullable=True),
        sa.Column("data_import_id", sa.UUID(), nullable=True),
        sa.Column("asset_name", sa.Text(), nullable=True),
        sa.Column("hostname", sa.Text(), nullable=True),
        sa.Column("fqdn", sa.Text(), nullable=True),
        sa.Column("asset_type", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("serial_number", sa.Text(), nullable=True),
        sa.Column("asset_tag", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("mac_address", sa.Text(), nullable=True),
        sa.Column("subnet", sa.Text(), nullable=True),
        sa.Column("dns_domain", sa.Text(), nullable=True),
        sa.Column("cpu_sockets", sa.Integer(), nullable=True),
        sa.Column("cpu_cores", sa.Integer(), nullable=True),
        sa.Column("cpu_logical_processors", sa.Integer(), nullable=True),
        sa.Column("cpu_model", sa.Text(), nullable=True),
        sa.Column("cpu_speed_mhz", sa.Double(), nullable=True),
        sa.Column("cpu_utilization_avg_pct", sa.Double(), nullable=True),
        sa.Column("cpu_utilization_peak_pct", sa.Double(), nullable=True),
        sa.Column("memory_gb", sa.Double(), nullable=True),
        sa.Column("memory_utilization_avg_pct", sa.Double(), nullable=True),
        sa.Column("memory_utilization_peak_pct", sa.Double(), nullable=True),
        sa.Column("storage_gb", sa.Double(), nullable=True),
        sa.Column("storage_used_gb", sa.Double(), nullable=True),
        sa.Column("disk_count", sa.Integer(), nullable=True),
        sa.Column("disk_read_kbps_avg", sa.Double(), nullable=True),
        sa.Column("disk_write_kbps_avg", sa.Double(), nullable=True),
        sa.Column("disk_read_iops_avg", sa.Double(), nullable=True),
        sa.Column("disk_write_iops_avg", sa.Double(), nullable=True),
        sa.Column("network_in_kbps_avg", sa.Double(), nullable=True),
        sa.Column("network_out_kbps_avg", sa.Double(), nullable=True),
        sa.Column("operating_system", sa.Text(), nullable=True),
        sa.Column("os_version", sa.Text(), nullable=True),
        sa.Column("os_architecture", sa.Text(), nullable=True),
        sa.Column("os_family", sa.Text(), nullable=True),
        sa.Column("is_virtual", sa.Boolean(), nullable=True),
        sa.Column("virtualization_platform", sa.Text(), nullable=True),
        sa.Column("vm_id", sa.Text(), nullable=True),
        sa.Column("vcenter", sa.Text(), nullable=True),
        sa.Column("datacenter", sa.Text(), nullable=True),
        sa.Column("cluster", sa.Text(), nullable=True),
        sa.Column("physical_host", sa.Text(), nullable=True),
        sa.Column("power_state", sa.Text(), nullable=True),
        sa.Column("manufacturer", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("environment", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("business_unit", sa.Text(), nullable=True),
        sa.Column("application_name", sa.Text(), nullable=True),
        sa.Column("business_owner", sa.Text(), nullable=True),
        sa.Column("technical_owner", sa.Text(), nullable=True),
        sa.Column("support_group", sa.Text(), nullable=True),
        sa.Column("business_criticality", sa.Text(), nullable=True),
        sa.Column("cost_center", sa.Text(), nullable=True),
        sa.Column("data_classification", sa.Text(), nullable=True),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("operational_status", sa.Text(), nullable=True),
        sa.Column("install_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discovery_source", sa.Text(), nullable=True),
        sa.Column("warranty_expiration", sa.DateTime(timezone=True), nullable=True),
        sa.Column("database_engine", sa.Text(), nullable=True),
        sa.Column("database_version", sa.Text(), nullable=True),
        sa.Column("database_size_gb", sa.Double(), nullable=True),
        sa.Column("migration_wave", sa.Text(), nullable=True),
        sa.Column("sixr_strategy", sa.Text(), nullable=True),
        sa.Column("migration_complexity", sa.Text(), nullable=True),
        sa.Column("source_record_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("field_lineage", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("field_conflicts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("identity_key", sa.String(length=500), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_assets_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_import_id"],
            ["data_imports.id"],
            name=op.f("fk_assets_data_import_id_data_imports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["discovery_flow_id"],
            ["discovery_flows.id"],
            name=op.f("fk_assets_discovery_flow_id_discovery_flows"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_assets_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["master_flow_id"],
            ["master_flows.id"],
            name=op.f("fk_assets_master_flow_id_master_flows"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index(
        op.f("ix_assets_client_account_id_engagement_id"),
        "assets",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_assets_data_import_id"), "assets", ["data_import_id"], unique=False)
    op.create_index(op.f("ix_assets_discovery_flow_id"), "assets", ["discovery_flow_id"], unique=False)
    op.create_index(op.f("ix_assets_identity_key"), "assets", ["identity_key"], unique=False)
    op.create_index(op.f("ix_assets_master_flow_id"), "assets", ["master_flow_id"], unique=False)
    op.create_table(
        "flow_checkpoints",
        sa.Column("flow_id", sa.UUID(), nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_valid", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_flow_checkpoints_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_flow_checkpoints_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["discovery_flows.id"],
            name=op.f("fk_flow_checkpoints_flow_id_discovery_flows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_checkpoints")),
    )
    op.create_index(
        op.f("ix_flow_checkpoints_client_account_id_engagement_id"),
        "flow_checkpoints",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_flow_checkpoints_flow_id"), "flow_checkpoints", ["flow_id"], unique=False)
    op.create_table(
        "asset_dependencies",
        sa.Column("source_asset_id", sa.UUID(), nullable=False),
        sa.Column("target_asset_id", sa.UUID(), nullable=False),
        sa.Column("dependency_type", sa.String(length=50), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("protocol", sa.String(length=20), nullable=True),
        sa.Column("direction", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_asset_dependencies_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_asset_dependencies_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_dependencies_source_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_dependencies_target_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_dependencies")),
    )
    op.create_index(
        op.f("ix_asset_dependencies_client_account_id_engagement_id"),
        "asset_dependencies",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_asset_dependencies_source_asset_id"), "asset_dependencies", ["source_asset_id"], unique=False
    )
    op.create_index(
        op.f("ix_asset_dependencies_target_asset_id"), "asset_dependencies", ["target_asset_id"], unique=False
    )
    op.create_table(
        "import_quality_reports",
        sa.Column("data_import_id", sa.UUID(), nullable=False),
        sa.Column("discovery_flow_id", sa.UUID(), nullable=True),
        sa.Column("total_records", sa.Integer(), nullable=False),
        sa.Column("valid_records", sa.Integer(), nullable=False),
        sa.Column("invalid_records", sa.Integer(), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_import_quality_reports_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_import_id"],
            ["data_imports.id"],
            name=op.f("fk_import_quality_reports_data_import_id_data_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["discovery_flow_id"],
            ["discovery_flows.id"],
            name=op.f("fk_import_quality_reports_discovery_flow_id_discovery_flows"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_import_quality_reports_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_quality_reports")),
        sa.UniqueConstraint("data_import_id", name=op.f("uq_import_quality_reports_data_import_id")),
    )
    op.create_index(
        op.f("ix_import_quality_reports_client_account_id_engagement_id"),
        "import_quality_reports",
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_table(
        "asset_merge_decisions",
        sa.Column("kept_asset_id", sa.UUID(), nullable=True),
        sa.Column("record_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["client_accounts.id"],
            name=op.f("fk_asset_merge_decisions_client_account_id_client_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_asset_merge_decisions_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_asset_merge_decisions_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_merge_decisions")),
    )
    op.create_index(
        op.f("ix_asset_merge_decisions_client_account_id_engagement_id"),
        "asset_merge_decisions",
        ["client_account_id", "engagement_id"],
        unique=False,
    )


def _drop_tables() -> None:
    op.drop_index(
        op.f("ix_asset_merge_decisions_client_account_id_engagement_id"), table_name="asset_merge_decisions"
    )
    op.drop_table("asset_merge_decisions")
    op.drop_index(
        op.f("ix_import_quality_reports_client_account_id_engagement_id"), table_name="import_quality_reports"
    )
    op.drop_table("import_quality_reports")
    op.drop_index(op.f("ix_asset_dependencies_target_asset_id"), table_name="asset_dependencies")
    op.drop_index(op.f("ix_asset_dependencies_source_asset_id"), table_name="asset_dependencies")
    op.drop_index(
        op.f("ix_asset_dependencies_client_account_id_engagement_id"), table_name="asset_dependencies"
    )
    op.drop_table("asset_dependencies")
    op.drop_index(op.f("ix_flow_checkpoints_flow_id"), table_name="flow_checkpoints")
    op.drop_index(op.f("ix_flow_checkpoints_client_account_id_engagement_id"), table_name="flow_checkpoints")
    op.drop_table("flow_checkpoints")
    op.drop_index(op.f("ix_assets_master_flow_id"), table_name="assets")
    op.drop_index(op.f("ix_assets_identity_key"), table_name="assets")
    op.drop_index(op.f("ix_assets_discovery_flow_id"), table_name="assets")
    op.drop_index(op.f("ix_assets_data_import_id"), table_name="assets")
    op.drop_index(op.f("ix_assets_client_account_id_engagement_id"), table_name="assets")
    op.drop_table("assets")
    op.drop_table("raw_import_records")
    op.drop_index(op.f("ix_import_field_mappings_data_import_id"), table_name="import_field_mappings")
    op.drop_index(
        op.f("ix_import_field_mappings_client_account_id_engagement_id"), table_name="import_field_mappings"
    )
    op.drop_table("import_field_mappings")
    op.drop_index(op.f("ix_discovery_flows_master_flow_id"), table_name="discovery_flows")
    op.drop_index(op.f("ix_discovery_flows_data_import_id"), table_name="discovery_flows")
    op.drop_index(op.f("ix_discovery_flows_client_account_id_engagement_id"), table_name="discovery_flows")
    op.drop_table("discovery_flows")
    op.drop_index(op.f("ix_data_imports_master_flow_id"), table_name="data_imports")
    op.drop_index(op.f("ix_data_imports_file_sha256"), table_name="data_imports")
    op.drop_index(op.f("ix_data_imports_client_account_id_engagement_id"), table_name="data_imports")
    op.drop_table("data_imports")
    op.drop_index(op.f("ix_master_flows_client_account_id_engagement_id"), table_name="master_flows")
    op.drop_table("master_flows")
    op.drop_index(op.f("ix_mapping_memory_client_account_id_engagement_id"), table_name="mapping_memory")
    op.drop_table("mapping_memory")
    op.drop_index(op.f("ix_flow_events_master_flow_id"), table_name="flow_events")
    op.drop_index(op.f("ix_flow_events_flow_id"), table_name="flow_events")
    op.drop_index(op.f("ix_flow_events_event_type"), table_name="flow_events")
    op.drop_index(op.f("ix_flow_events_client_account_id_engagement_id"), table_name="flow_events")
    op.drop_table("flow_events")
    op.drop_index(op.f("ix_flow_archive_flow_id"), table_name="flow_archive")
    op.drop_index(op.f("ix_flow_archive_client_account_id_engagement_id"), table_name="flow_archive")
    op.drop_table("flow_archive")
    op.drop_index(op.f("ix_engagement_members_user_id"), table_name="engagement_members")
    op.drop_index(op.f("ix_engagement_members_engagement_id"), table_name="engagement_members")
    op.drop_index(op.f("ix_engagement_members_client_account_id"), table_name="engagement_members")
    op.drop_table("engagement_members")
    op.drop_index(op.f("ix_engagements_client_account_id"), table_name="engagements")
    op.drop_table("engagements")
    op.drop_index(op.f("ix_users_db_role"), table_name="users")
    op.drop_table("users")
    op.drop_table("client_accounts")


APP_ROLE = "md_app"

# Tables scoped to one engagement: readable by its members, writable by leads and members.
TENANT_TABLES = (
    "master_flows",
    "data_imports",
    "raw_import_records",
    "import_field_mappings",
    "discovery_flows",
    "assets",
    "asset_dependencies",
    "flow_events",
    "flow_checkpoints",
    "flow_archive",
    "import_quality_reports",
    "asset_merge_decisions",
)
ROOT_TABLES = ("client_accounts", "engagements", "users", "engagement_members")
ALL_TABLES = (*ROOT_TABLES, *TENANT_TABLES, "mapping_memory")

FUNCTIONS = """
CREATE FUNCTION md_current_client() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT NULLIF(current_setting('app.client_account_id', true), '')::uuid $$;

CREATE FUNCTION md_current_engagement() RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT NULLIF(current_setting('app.engagement_id', true), '')::uuid $$;

-- Role of the logged-in PostgreSQL role (session_user) on the transaction's engagement.
-- SECURITY DEFINER so it can read membership past RLS; policies call it as (SELECT ...)
-- so it runs once per statement, not once per row.
CREATE FUNCTION md_tenant_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
  SELECT m.role FROM engagement_members m JOIN users u ON u.id = m.user_id
   WHERE m.engagement_id = md_current_engagement()
     AND m.client_account_id = md_current_client()
     AND u.db_role = session_user
   ORDER BY CASE m.role WHEN 'lead' THEN 0 WHEN 'member' THEN 1 ELSE 2 END
   LIMIT 1
$$;

CREATE FUNCTION md_is_engagement_member(eng uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
  SELECT EXISTS (SELECT 1 FROM engagement_members m JOIN users u ON u.id = m.user_id
                  WHERE m.engagement_id = eng AND u.db_role = session_user)
$$;

CREATE FUNCTION md_is_client_member(cid uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
  SELECT EXISTS (SELECT 1 FROM engagement_members m JOIN users u ON u.id = m.user_id
                  WHERE m.client_account_id = cid AND u.db_role = session_user)
$$;
"""

RAW_PARTITION_FUNCTIONS = """
CREATE FUNCTION md_raw_partition_name(imp uuid) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT 'raw_import_records_' || replace(imp::text, '-', '') $$;

-- A fresh partition for one import's rows, created in the importing transaction. Pinned to the
-- import's tenant by a CHECK constraint; the application may only INSERT into it, until attached.
CREATE FUNCTION md_create_raw_partition(imp uuid) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
  part text := md_raw_partition_name(imp);
  cid uuid;
  eid uuid;
BEGIN
  IF coalesce((SELECT md_tenant_role()), '') NOT IN ('lead', 'member') THEN
    RAISE EXCEPTION 'not allowed to write to this engagement' USING ERRCODE = '42501';
  END IF;
  SELECT client_account_id, engagement_id INTO cid, eid FROM data_imports
   WHERE id = imp AND client_account_id = md_current_client() AND engagement_id = md_current_engagement();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'import % is not part of this engagement', imp USING ERRCODE = '42704';
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE raw_import_records INCLUDING DEFAULTS)', part);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (data_import_id = %L'
                 ' AND client_account_id = %L AND engagement_id = %L)',
                 part, part || '_tenant', imp, cid, eid);
  EXECUTE format('GRANT INSERT ON %I TO md_app', part);
  RETURN part;
END $$;

-- Attach the loaded partition (indexes are built in bulk here) and take back the INSERT grant.
CREATE FUNCTION md_attach_raw_partition(imp uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
DECLARE
  part text := md_raw_partition_name(imp);
BEGIN
  IF coalesce((SELECT md_tenant_role()), '') NOT IN ('lead', 'member') THEN
    RAISE EXCEPTION 'not allowed to write to this engagement' USING ERRCODE = '42501';
  END IF;
  IF to_regclass(part) IS NULL THEN
    RAISE EXCEPTION 'no partition was created for import %', imp USING ERRCODE = '42P01';
  END IF;
  EXECUTE format('REVOKE ALL ON %I FROM md_app', part);
  EXECUTE format('ALTER TABLE raw_import_records ATTACH PARTITION %I FOR VALUES IN (%L)', part, imp);
END $$;

-- Deleting an import (directly or by cascade from its engagement or client) removes its rows.
CREATE FUNCTION md_drop_import_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_catalog
AS $$
BEGIN
  DELETE FROM raw_import_records_default WHERE data_import_id = OLD.id;
  EXECUTE format('DROP TABLE IF EXISTS %I', md_raw_partition_name(OLD.id));
  RETURN NULL;
END $$;

CREATE TRIGGER data_imports_drop_raw_rows AFTER DELETE ON data_imports
  FOR EACH ROW EXECUTE FUNCTION md_drop_import_rows();
"""

IN_SCOPE = "client_account_id = md_current_client() AND engagement_id = md_current_engagement()"
CAN_READ = "(SELECT md_tenant_role()) IS NOT NULL"
CAN_WRITE = "(SELECT md_tenant_role()) IN ('lead', 'member')"


def _tenant_policies(table: str) -> list[str]:
    read = f"{IN_SCOPE} AND {CAN_READ}"
    write = f"{IN_SCOPE} AND {CAN_WRITE}"
    return [
        f"CREATE POLICY tenant_select ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({write})",
        f"CREATE POLICY tenant_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        f"CREATE POLICY tenant_delete ON {table} FOR DELETE USING ({write})",
    ]


def _policies() -> list[str]:
    sql = [p for t in TENANT_TABLES for p in _tenant_policies(t)]
    # Mapping memory is shared across a client's engagements: read at client level.
    client_read = f"client_account_id = md_current_client() AND {CAN_READ}"
    client_write = f"client_account_id = md_current_client() AND {CAN_WRITE}"
    sql += [
        f"CREATE POLICY client_select ON mapping_memory FOR SELECT USING ({client_read})",
        f"CREATE POLICY tenant_insert ON mapping_memory FOR INSERT WITH CHECK ({IN_SCOPE} AND {CAN_WRITE})",
        f"CREATE POLICY client_update ON mapping_memory FOR UPDATE USING ({client_write})"
        f" WITH CHECK ({client_write})",
        f"CREATE POLICY client_delete ON mapping_memory FOR DELETE USING ({client_write})",
        # Tenant roots: visible to members; written only by the schema owner (admin commands).
        "CREATE POLICY member_select ON client_accounts FOR SELECT USING (md_is_client_member(id))",
        "CREATE POLICY member_select ON engagements FOR SELECT USING (md_is_engagement_member(id))",
        "CREATE POLICY member_select ON engagement_members FOR SELECT"
        " USING (md_is_engagement_member(engagement_id))",
        "CREATE POLICY directory_select ON users FOR SELECT USING (true)",
        "CREATE POLICY self_update ON users FOR UPDATE USING (db_role = session_user)"
        " WITH CHECK (db_role = session_user)",
    ]
    return sql


def _security_up() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
        """
    )
    op.execute(FUNCTIONS)
    op.execute(RAW_PARTITION_FUNCTIONS)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    # A consultant's login checks the schema revision on connect (shared mode): read-only.
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    for table in ALL_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        if table == "flow_events":  # append-only audit log
            op.execute(f"GRANT SELECT, INSERT ON {table} TO {APP_ROLE}")
        elif table in ROOT_TABLES and table != "users":
            op.execute(f"GRANT SELECT ON {table} TO {APP_ROLE}")
        elif table == "users":
            op.execute(f"GRANT SELECT, UPDATE (display_name, email, updated_at) ON {table} TO {APP_ROLE}")
        else:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    for statement in _policies():
        op.execute(statement)
    for fn in (
        "md_create_raw_partition(uuid)",
        "md_attach_raw_partition(uuid)",
        "md_current_client()",
        "md_current_engagement()",
        "md_tenant_role()",
        "md_is_engagement_member(uuid)",
        "md_is_client_member(uuid)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO {APP_ROLE}")


def _security_down() -> None:
    for table in ALL_TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    # Policies go with their tables; functions are dropped after the tables (policies use them).


def _drop_functions() -> None:
    op.execute(
        "DROP FUNCTION IF EXISTS md_create_raw_partition(uuid), md_attach_raw_partition(uuid),"
        " md_drop_import_rows(), md_raw_partition_name(uuid),"
        " md_tenant_role(), md_is_engagement_member(uuid),"
        " md_is_client_member(uuid), md_current_client(), md_current_engagement()"
    )
    # The group role is cluster-wide: drop it unless another database still grants it something.
    op.execute(
        f"""
        DO $$ BEGIN
          DROP ROLE IF EXISTS {APP_ROLE};
        EXCEPTION WHEN dependent_objects_still_exist THEN
          RAISE NOTICE 'role {APP_ROLE} kept: still used by another database';
        END $$;
        """
    )


def upgrade() -> None:
    _create_tables()
    _security_up()


def downgrade() -> None:
    _security_down()
    _drop_tables()
    _drop_functions()
