using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>When a task's current attempt was sent to its queue: the submit sends the first one itself.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261201300000_TaskDispatchedAt")]
public sealed class TaskDispatchedAt : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""ALTER TABLE tasks ADD COLUMN "DispatchedAt" timestamp with time zone NULL;""");
    }

    protected override void Down(MigrationBuilder migration) => migration.Sql("""ALTER TABLE tasks DROP COLUMN "DispatchedAt";""");
}
