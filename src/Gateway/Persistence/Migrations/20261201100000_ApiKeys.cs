using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>API keys (only their SHA-256 is stored), and who submitted each task.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261201100000_ApiKeys")]
public sealed class ApiKeys : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""
            CREATE TABLE api_keys (
                "Id" uuid PRIMARY KEY,
                "Name" varchar(128) NOT NULL,
                "Role" varchar(16) NOT NULL,
                "Prefix" text NOT NULL,
                "Hash" bytea NOT NULL,
                "CreatedAt" timestamptz NOT NULL,
                "CreatedBy" text NOT NULL,
                "RevokedAt" timestamptz NULL,
                "RevokedBy" text NULL
            );
            CREATE UNIQUE INDEX ix_api_keys_hash ON api_keys ("Hash");
            CREATE UNIQUE INDEX ix_api_keys_active_name ON api_keys ("Name") WHERE "RevokedAt" IS NULL;

            ALTER TABLE tasks ADD COLUMN "SubmittedBy" varchar(128) NULL;
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""ALTER TABLE tasks DROP COLUMN "SubmittedBy"; DROP TABLE api_keys;""");
}
