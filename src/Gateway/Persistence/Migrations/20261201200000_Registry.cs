using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>
/// The model and dataset registry: resources, versions (semantic version, hash, origin, stage), aliases, lineage
/// edges and the audit log; and on tasks, the exact version each input or model reference resolved to.
/// </summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261201200000_Registry")]
public sealed class Registry : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""
            ALTER TABLE tasks ADD COLUMN "ResolvedInput" text NULL, ADD COLUMN "ResolvedModel" text NULL;

            CREATE TABLE registry_resources (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "Kind" varchar(16) NOT NULL,
                "Name" varchar(128) NOT NULL,
                "CreatedAt" timestamptz NOT NULL
            );
            CREATE UNIQUE INDEX ix_registry_resources_kind_name ON registry_resources ("Kind", "Name");

            CREATE TABLE registry_versions (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "ResourceId" bigint NOT NULL REFERENCES registry_resources ("Id") ON DELETE CASCADE,
                "LanceVersion" bigint NOT NULL,
                "SemanticVersion" varchar(40) NOT NULL,
                "Major" integer NOT NULL,
                "Minor" integer NOT NULL,
                "Patch" integer NOT NULL,
                "Sha256" varchar(64) NOT NULL,
                "Stage" varchar(16) NOT NULL,
                "Origin" varchar(16) NOT NULL,
                "CreatedByTaskId" uuid NULL,
                "ScriptPath" text NULL,
                "ScriptSha256" text NULL,
                "CreatedAt" timestamptz NOT NULL,
                "MetricsJson" jsonb NOT NULL,
                "ParamsJson" jsonb NOT NULL,
                "DataMissing" boolean NOT NULL DEFAULT false
            );
            CREATE UNIQUE INDEX ix_registry_versions_lance ON registry_versions ("ResourceId", "LanceVersion");
            CREATE UNIQUE INDEX ix_registry_versions_semantic ON registry_versions ("ResourceId", "SemanticVersion");
            CREATE INDEX ix_registry_versions_stage ON registry_versions ("Stage");

            CREATE TABLE registry_aliases (
                "ResourceId" bigint NOT NULL REFERENCES registry_resources ("Id") ON DELETE CASCADE,
                "Alias" varchar(64) NOT NULL,
                "VersionId" bigint NOT NULL REFERENCES registry_versions ("Id") ON DELETE CASCADE,
                "UpdatedAt" timestamptz NOT NULL,
                PRIMARY KEY ("ResourceId", "Alias")
            );
            CREATE INDEX ix_registry_aliases_alias ON registry_aliases ("Alias");

            CREATE TABLE registry_lineage (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "VersionId" bigint NOT NULL REFERENCES registry_versions ("Id") ON DELETE CASCADE,
                "SourceVersionId" bigint NOT NULL REFERENCES registry_versions ("Id") ON DELETE CASCADE,
                "Relation" varchar(16) NOT NULL
            );
            CREATE UNIQUE INDEX ix_registry_lineage_edge ON registry_lineage ("VersionId", "SourceVersionId", "Relation");
            CREATE INDEX ix_registry_lineage_source ON registry_lineage ("SourceVersionId");

            CREATE TABLE registry_audit (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "Kind" varchar(16) NOT NULL,
                "Name" varchar(128) NOT NULL,
                "SemanticVersion" varchar(40) NULL,
                "Action" varchar(32) NOT NULL,
                "Actor" text NOT NULL,
                "At" timestamptz NOT NULL,
                "Reason" text NULL,
                "BeforeJson" jsonb NULL,
                "AfterJson" jsonb NULL
            );
            CREATE INDEX ix_registry_audit_resource ON registry_audit ("Kind", "Name", "At");
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""
            DROP TABLE registry_audit; DROP TABLE registry_lineage; DROP TABLE registry_aliases; DROP TABLE registry_versions;
            DROP TABLE registry_resources; ALTER TABLE tasks DROP COLUMN "ResolvedInput", DROP COLUMN "ResolvedModel";
            """);
}
