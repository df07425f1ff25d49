using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>The model version an inference service serves now: it follows its alias when the alias moves.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202110000_TaskServedModel")]
public sealed class TaskServedModel : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""ALTER TABLE tasks ADD COLUMN "ServedModel" text NULL, ADD COLUMN "ServedModelAt" timestamp with time zone NULL;""");
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks DROP COLUMN "ServedModel", DROP COLUMN "ServedModelAt";""");
}
