using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>A time limit per task, and why a pending task is not being picked up.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261201000000_TaskTimeoutsAndWaiting")]
public sealed class TaskTimeoutsAndWaiting : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""
            ALTER TABLE tasks ADD COLUMN "TimeoutSeconds" integer NULL;
            ALTER TABLE tasks ADD COLUMN "WaitingReason" text NULL;
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks DROP COLUMN "WaitingReason"; ALTER TABLE tasks DROP COLUMN "TimeoutSeconds";""");
}
