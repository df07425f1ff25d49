using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>The alerts Alertmanager reported to the gateway: one row per firing episode.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202130000_Alerts")]
public sealed class Alerts : Migration
{
    protected override void Up(MigrationBuilder migration) =>
        migration.Sql("""
            CREATE TABLE alerts (
                "Fingerprint" varchar(64) NOT NULL,
                "StartsAt" timestamptz NOT NULL,
                "Name" varchar(256) NOT NULL,
                "Status" varchar(16) NOT NULL,
                "Severity" text NULL,
                "Summary" text NOT NULL,
                "Description" text NOT NULL,
                "LabelsJson" jsonb NOT NULL,
                "EndsAt" timestamptz NULL,
                "GeneratorUrl" text NULL,
                "FirstReceivedAt" timestamptz NOT NULL,
                "LastReceivedAt" timestamptz NOT NULL,
                "Notifications" integer NOT NULL,
                PRIMARY KEY ("Fingerprint", "StartsAt")
            );
            CREATE INDEX ix_alerts_status_starts ON alerts ("Status", "StartsAt");
            """);

    protected override void Down(MigrationBuilder migration) => migration.Sql("DROP TABLE alerts;");
}
