using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>Tasks (the saga's rows), their timelines, the workers' latest heartbeats, and when each running task was last seen alive.</summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261122000000_InitialSchema")]
public sealed class InitialSchema : Migration
{
    protected override void Up(MigrationBuilder migration)
    {
        migration.Sql("""
            CREATE TABLE tasks (
                "id" uuid PRIMARY KEY,
                "CurrentState" varchar(32) NOT NULL,
                "Type" varchar(32) NOT NULL,
                "Name" varchar(128) NOT NULL,
                "Input" text NULL,
                "Output" text NULL,
                "ParamsJson" jsonb NOT NULL,
                "ScriptPath" text NOT NULL,
                "ScriptSha256" text NOT NULL,
                "ScriptSource" text NOT NULL,
                "Model" text NULL,
                "Device" text NULL,
                "CreatedAt" timestamptz NOT NULL,
                "StartedAt" timestamptz NULL,
                "FinishedAt" timestamptz NULL,
                "CancelRequestedAt" timestamptz NULL,
                "Attempts" integer NOT NULL,
                "WorkerId" text NULL,
                "ClaimedAt" timestamptz NULL,
                "ResultJson" jsonb NULL,
                "Error" text NULL,
                "ProgressFraction" double precision NULL,
                "ProgressMessage" text NULL,
                "ProgressMetricsJson" jsonb NULL,
                "ProgressAt" timestamptz NULL
            );
            CREATE UNIQUE INDEX ix_tasks_active_type_name ON tasks ("Type", "Name") WHERE "CurrentState" IN ('Pending', 'Running');
            CREATE INDEX ix_tasks_state_created ON tasks ("CurrentState", "CreatedAt");
            CREATE INDEX ix_tasks_created ON tasks ("CreatedAt");

            CREATE TABLE task_events (
                "Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "TaskId" uuid NOT NULL,
                "Attempt" integer NOT NULL,
                "Kind" varchar(32) NOT NULL,
                "WorkerId" text NULL,
                "Timestamp" timestamptz NOT NULL,
                "DataJson" jsonb NOT NULL
            );
            CREATE INDEX ix_task_events_task ON task_events ("TaskId", "Id");

            CREATE TABLE workers (
                "WorkerId" varchar(200) PRIMARY KEY,
                "Kind" varchar(32) NOT NULL,
                "Host" text NOT NULL,
                "ProcessId" integer NOT NULL,
                "Concurrency" integer NOT NULL,
                "RunningTaskIds" uuid[] NOT NULL,
                "StartedAt" timestamptz NOT NULL,
                "LastHeartbeatAt" timestamptz NOT NULL,
                "StoppedAt" timestamptz NULL
            );
            CREATE INDEX ix_workers_heartbeat ON workers ("LastHeartbeatAt");

            CREATE TABLE task_heartbeats (
                "TaskId" uuid PRIMARY KEY,
                "WorkerId" varchar(200) NOT NULL,
                "LastSeenAt" timestamptz NOT NULL
            );
            """);
    }

    protected override void Down(MigrationBuilder migration) =>
        migration.Sql("DROP TABLE task_heartbeats; DROP TABLE workers; DROP TABLE task_events; DROP TABLE tasks;");
}
