using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>A task's priority (0-9), sent as its command's message priority on every dispatch.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202120000_TaskPriority")]
public sealed class TaskPriority : Migration
{
    protected override void Up(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks ADD COLUMN "Priority" integer NOT NULL DEFAULT 0;""");

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks DROP COLUMN "Priority";""");
}
