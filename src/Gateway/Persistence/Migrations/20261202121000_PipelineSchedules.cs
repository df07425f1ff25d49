using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>Pipeline schedules (the next occurrence is also the gateways' claim) and the occurrences missed while none ran.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202121000_PipelineSchedules")]
public sealed class PipelineSchedules : Migration
{
    protected override void Up(MigrationBuilder migration) =>
        migration.Sql("""
            CREATE TABLE pipeline_schedules (
                "PipelineId" uuid PRIMARY KEY REFERENCES pipelines ("Id"),
                "Cron" varchar(128) NOT NULL,
                "TimeZone" varchar(64) NOT NULL,
                "NextRunAt" timestamptz NOT NULL,
                "LastRunAt" timestamptz NULL,
                "LastRunId" uuid NULL,
                "MissedTotal" bigint NOT NULL DEFAULT 0
            );
            CREATE INDEX ix_pipeline_schedules_next ON pipeline_schedules ("NextRunAt");

            CREATE TABLE pipeline_missed_runs (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "PipelineId" uuid NOT NULL REFERENCES pipelines ("Id"),
                "FirstDueAt" timestamptz NOT NULL,
                "LastDueAt" timestamptz NOT NULL,
                "Count" integer NOT NULL,
                "Reason" text NOT NULL,
                "RecordedAt" timestamptz NOT NULL
            );
            CREATE INDEX ix_pipeline_missed_runs_pipeline ON pipeline_missed_runs ("PipelineId", "RecordedAt");
            """);

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""
            DROP TABLE pipeline_missed_runs;
            DROP TABLE pipeline_schedules;
            """);
}
