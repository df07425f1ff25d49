using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>Which task a rerun repeats; pipeline definitions, their runs (the run saga's rows), and which run a task belongs to.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261202000000_TaskRerunsAndPipelines")]
public sealed class TaskRerunsAndPipelines : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""
            ALTER TABLE tasks ADD COLUMN "RerunOf" uuid NULL;
            ALTER TABLE tasks ADD COLUMN "PipelineRunId" uuid NULL;
            ALTER TABLE tasks ADD COLUMN "PipelineStep" varchar(64) NULL;
            CREATE INDEX ix_tasks_pipeline_run ON tasks ("PipelineRunId") WHERE "PipelineRunId" IS NOT NULL;

            CREATE TABLE pipelines (
                "Id" uuid PRIMARY KEY,
                "Name" varchar(64) NOT NULL,
                "Description" text NULL,
                "DefinitionJson" jsonb NOT NULL,
                "CreatedAt" timestamptz NOT NULL,
                "CreatedBy" varchar(128) NULL
            );
            CREATE UNIQUE INDEX ix_pipelines_name ON pipelines ("Name");

            CREATE TABLE pipeline_runs (
                "Id" uuid PRIMARY KEY,
                "PipelineId" uuid NOT NULL REFERENCES pipelines ("Id"),
                "CurrentState" varchar(32) NOT NULL,
                "DefinitionJson" jsonb NOT NULL,
                "ParamsJson" jsonb NOT NULL,
                "ScriptsJson" jsonb NOT NULL,
                "StepsJson" jsonb NOT NULL,
                "SubmittedBy" varchar(128) NULL,
                "CreatedAt" timestamptz NOT NULL,
                "FinishedAt" timestamptz NULL,
                "CancelRequestedAt" timestamptz NULL,
                "Error" text NULL,
                "Resumes" integer NOT NULL DEFAULT 0
            );
            CREATE INDEX ix_pipeline_runs_pipeline ON pipeline_runs ("PipelineId", "CreatedAt");
            CREATE INDEX ix_pipeline_runs_state ON pipeline_runs ("CurrentState");
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("""
            DROP TABLE pipeline_runs;
            DROP TABLE pipelines;
            DROP INDEX ix_tasks_pipeline_run;
            ALTER TABLE tasks DROP COLUMN "PipelineStep";
            ALTER TABLE tasks DROP COLUMN "PipelineRunId";
            ALTER TABLE tasks DROP COLUMN "RerunOf";
            """);
}
