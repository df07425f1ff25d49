using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>
/// The registry's lifecycle: when a version last changed stage (soft deletes expire) and was last read (retention
/// archives what nobody reads), each resource's retention policy, and webhooks with their delivery log (an outbox:
/// deliveries are written in the transaction of the change they report).
/// </summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202100000_RegistryLifecycle")]
public sealed class RegistryLifecycle : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""
            ALTER TABLE registry_versions ADD COLUMN "StageChangedAt" timestamptz NULL, ADD COLUMN "LastReadAt" timestamptz NULL;
            CREATE INDEX ix_registry_versions_deleted ON registry_versions ("StageChangedAt") WHERE "Stage" = 'deleted';
            ALTER TABLE registry_resources ADD COLUMN "KeepLast" integer NULL, ADD COLUMN "ArchiveAfterDays" integer NULL;

            CREATE TABLE registry_hooks (
                "Id" uuid PRIMARY KEY,
                "Kind" varchar(16) NULL,
                "Name" varchar(128) NULL,
                "Url" text NOT NULL,
                "Secret" text NOT NULL,
                "Events" text[] NOT NULL,
                "Gate" boolean NOT NULL,
                "CreatedAt" timestamptz NOT NULL,
                "CreatedBy" text NOT NULL
            );
            CREATE TABLE registry_hook_deliveries (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "HookId" uuid NOT NULL REFERENCES registry_hooks ("Id") ON DELETE CASCADE,
                "Event" varchar(32) NOT NULL,
                "PayloadJson" jsonb NOT NULL,
                "Status" varchar(16) NOT NULL,
                "Attempts" integer NOT NULL,
                "LastStatusCode" integer NULL,
                "LastError" text NULL,
                "CreatedAt" timestamptz NOT NULL,
                "NextAttemptAt" timestamptz NULL,
                "FinishedAt" timestamptz NULL
            );
            CREATE INDEX ix_registry_hook_deliveries_due ON registry_hook_deliveries ("NextAttemptAt") WHERE "Status" = 'pending';
            CREATE INDEX ix_registry_hook_deliveries_hook ON registry_hook_deliveries ("HookId", "Id");
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""
            DROP TABLE registry_hook_deliveries; DROP TABLE registry_hooks;
            DROP INDEX ix_registry_versions_deleted;
            ALTER TABLE registry_versions DROP COLUMN "StageChangedAt", DROP COLUMN "LastReadAt";
            ALTER TABLE registry_resources DROP COLUMN "KeepLast", DROP COLUMN "ArchiveAfterDays";
            """);
}
