using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiPlatform.Gateway.Persistence.Migrations;

/// <summary>
/// Projects: tasks, registry resources and their audit, pipelines and their runs belong to one (everything before
/// this migration to the default project), names are unique within a project, and a key may be scoped to one.
/// </summary>
[DbContext(typeof(PlatformDbContext))]
[Migration("20261204120000_ProjectOwnership")]
public sealed class ProjectOwnership : Migration
{
    protected override void Up(MigrationBuilder migration) => migration.Sql("""
        ALTER TABLE tasks ADD COLUMN "Project" varchar(64) NOT NULL DEFAULT 'default';
        ALTER TABLE registry_resources ADD COLUMN "Project" varchar(64) NOT NULL DEFAULT 'default';
        ALTER TABLE registry_audit ADD COLUMN "Project" varchar(64) NOT NULL DEFAULT 'default';
        ALTER TABLE pipelines ADD COLUMN "Project" varchar(64) NOT NULL DEFAULT 'default';
        ALTER TABLE pipeline_runs ADD COLUMN "Project" varchar(64) NOT NULL DEFAULT 'default';
        ALTER TABLE api_keys ADD COLUMN "Project" varchar(64) NULL;
        ALTER TABLE registry_hooks ADD COLUMN "Project" varchar(64) NULL;
        DROP INDEX ix_tasks_active_type_name;
        CREATE UNIQUE INDEX ix_tasks_active_type_name ON tasks ("Project", "Type", "Name") WHERE "CurrentState" IN ('Pending', 'Running');
        DROP INDEX ix_registry_resources_kind_name;
        CREATE UNIQUE INDEX ix_registry_resources_project_kind_name ON registry_resources ("Project", "Kind", "Name");
        DROP INDEX ix_pipelines_name;
        CREATE UNIQUE INDEX ix_pipelines_project_name ON pipelines ("Project", "Name");
        CREATE INDEX ix_tasks_project_created ON tasks ("Project", "CreatedAt");
        """);

    protected override void Down(MigrationBuilder migration) => migration.Sql("""
        DROP INDEX ix_tasks_project_created;
        DROP INDEX ix_pipelines_project_name;
        CREATE UNIQUE INDEX ix_pipelines_name ON pipelines ("Name");
        DROP INDEX ix_registry_resources_project_kind_name;
        CREATE UNIQUE INDEX ix_registry_resources_kind_name ON registry_resources ("Kind", "Name");
        DROP INDEX ix_tasks_active_type_name;
        CREATE UNIQUE INDEX ix_tasks_active_type_name ON tasks ("Type", "Name") WHERE "CurrentState" IN ('Pending', 'Running');
        ALTER TABLE registry_hooks DROP COLUMN "Project";
        ALTER TABLE api_keys DROP COLUMN "Project";
        ALTER TABLE pipeline_runs DROP COLUMN "Project";
        ALTER TABLE pipelines DROP COLUMN "Project";
        ALTER TABLE registry_audit DROP COLUMN "Project";
        ALTER TABLE registry_resources DROP COLUMN "Project";
        ALTER TABLE tasks DROP COLUMN "Project";
        """);
}
