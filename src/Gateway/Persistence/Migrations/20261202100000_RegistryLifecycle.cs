using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>
/// The registry's lifecycle: when a version last changed stage (soft deletes expire) and was last read (retention
/// archives what nobody reads), and each resource's retention policy.
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
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""
            DROP INDEX ix_registry_versions_deleted;
            ALTER TABLE registry_versions DROP COLUMN "StageChangedAt", DROP COLUMN "LastReadAt";
            ALTER TABLE registry_resources DROP COLUMN "KeepLast", DROP COLUMN "ArchiveAfterDays";
            """);
}
