using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>The cpu and memory a task declared, carried by its command to the worker that holds its script to them.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202122000_TaskResources")]
public sealed class TaskResources : Migration
{
    protected override void Up(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks ADD COLUMN "ResourceCpu" double precision NULL, ADD COLUMN "ResourceMemoryMiB" integer NULL;""");

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks DROP COLUMN "ResourceCpu", DROP COLUMN "ResourceMemoryMiB";""");
}
