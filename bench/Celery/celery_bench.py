"""Celery side of the task-lifecycle benchmark (bench/Platform.Bench runs it and prints the ratios).

Celery 5 (Debian's python3-celery) against the same RabbitMQ and PostgreSQL the project starts, set up the way a
careful Celery user runs work that must not be lost: acks_late, prefetch 1, results and the STARTED state persisted
in PostgreSQL through the database result backend. The task is trivial (it returns its params with the time it
started), as in the platform's own benchmark.

Measures, on its own vhost and database (both removed at the end):
  dispatch latency: apply_async -> task body running (its own clock stamp), sequential, idle workers;
  throughput: N tasks submitted at once, until every result is stored, with 1 and with 2 worker processes.

usage: /usr/bin/python3 bench/Celery/celery_bench.py --services-env .state/services.env [--latency-tasks 100]
       [--throughput-tasks 300] [--json]
"""
import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
LOGS = os.path.join(HERE, "..", "..", "artifacts", "celery-bench")


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            key, sep, value = line.strip().partition("=")
            if sep:
                env[key] = value
    return env


def management(env, method, path, body=None):
    credentials = base64.b64encode(f"{env['RabbitMq__Username']}:{env['RabbitMq__Password']}".encode()).decode()
    request = urllib.request.Request(env["RabbitMq__ManagementUrl"].rstrip("/") + "/" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Basic " + credentials, "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30):
        pass


def postgres_settings(env):
    settings = dict(part.split("=", 1) for part in env["ConnectionStrings__Platform"].split(";") if "=" in part)
    return {key.lower(): value for key, value in settings.items()}


def connect(env, database=None):
    import psycopg2
    pg = postgres_settings(env)
    connection = psycopg2.connect(host=pg["host"], port=pg["port"], user=pg["username"], password=pg["password"],
                                  dbname=database or pg["database"])
    connection.autocommit = True
    return connection


def admin_sql(env, statement):
    connection = connect(env)
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def percentile(values, p):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
    return ordered[int(index)]


class Bench:
    def __init__(self, env, run_id):
        self.env = env
        self.vhost = f"aip-celery-{run_id}"
        self.database = f"aip_celery_{run_id}"
        pg = postgres_settings(env)
        self.broker = (f"amqp://{env['RabbitMq__Username']}:{env['RabbitMq__Password']}@{env['RabbitMq__Host']}:"
                       f"{env['RabbitMq__Port']}/{self.vhost}")
        self.backend = f"db+postgresql://{pg['username']}:{pg['password']}@{pg['host']}:{pg['port']}/{self.database}"
        self.workers = []

    def __enter__(self):
        management(self.env, "PUT", f"api/vhosts/{self.vhost}")
        management(self.env, "PUT", f"api/permissions/{self.vhost}/{self.env['RabbitMq__Username']}",
                   {"configure": ".*", "write": ".*", "read": ".*"})
        admin_sql(self.env, f'CREATE DATABASE "{self.database}"')
        os.environ["CELERY_BENCH_BROKER"] = self.broker
        os.environ["CELERY_BENCH_BACKEND"] = self.backend
        sys.path.insert(0, HERE)
        import celery_tasks
        self.app = celery_tasks.app
        self.echo = celery_tasks.echo
        self.results = connect(self.env, self.database)
        return self

    def __exit__(self, *_):
        self.results.close()
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        self.app.close()
        try:
            self.app.backend.ResultSession().get_bind().dispose()
        except Exception:
            pass
        management(self.env, "DELETE", f"api/vhosts/{self.vhost}")
        admin_sql(self.env, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def start_worker(self):
        name = f"w{len(self.workers) + 1}@bench"
        os.makedirs(LOGS, exist_ok=True)
        log = open(os.path.join(LOGS, f"{name.split('@')[0]}.log"), "w")
        self.workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--concurrency", "1", "--pool", "prefork",
             "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "WARNING", "-n", name],
            cwd=HERE, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT))
        expected = len(self.workers)
        deadline = time.time() + 60
        while time.time() < deadline:
            replies = self.app.control.ping(timeout=1.0) or []
            if len(replies) >= expected:
                return
        raise RuntimeError(f"celery worker {name} did not answer a ping within 60 s")

    def run_one(self, i):
        submitted = time.time()
        result = self.echo.apply_async(args=[{"message": "bench", "i": i}])
        value = result.get(timeout=60, interval=0.002)
        return (value["started"] - submitted) * 1000

    def dispatch_latency(self, count):
        return [self.run_one(i) for i in range(count)]

    def throughput(self, count):
        clock = time.perf_counter()
        ids = [self.echo.apply_async(args=[{"message": "bench", "i": i}]).id for i in range(count)]
        # One query a poll for the whole batch: polling each result in turn would spend the cores the workers need.
        deadline = time.time() + 300
        while self.count_succeeded(ids) < count:
            if time.time() > deadline:
                raise RuntimeError("celery tasks did not all finish within 300 s")
            time.sleep(0.01)
        return count / (time.perf_counter() - clock)

    def count_succeeded(self, ids):
        import psycopg2.errors
        with self.results.cursor() as cursor:
            try:
                cursor.execute("SELECT count(*) FROM celery_taskmeta WHERE status = 'SUCCESS' AND task_id = ANY(%s)", (ids,))
            except psycopg2.errors.UndefinedTable:
                return 0  # the result backend creates its table with the first result it stores
            return cursor.fetchone()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services-env", required=True)
    parser.add_argument("--latency-tasks", type=int, default=100)
    parser.add_argument("--throughput-tasks", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()

    figures = {"celery": __import__("celery").__version__}
    with Bench(read_env(args.services_env), uuid.uuid4().hex[:10]) as bench:
        bench.start_worker()
        bench.throughput(10)
        latencies = bench.dispatch_latency(args.latency_tasks)
        figures["dispatch_p50_ms"] = percentile(latencies, 50)
        figures["dispatch_p99_ms"] = percentile(latencies, 99)
        figures["dispatch_mean_ms"] = statistics.fmean(latencies)
        figures["throughput_1_worker"] = bench.throughput(args.throughput_tasks)
        bench.start_worker()
        bench.throughput(10)
        figures["throughput_2_workers"] = bench.throughput(args.throughput_tasks)

    if args.json:
        print(json.dumps(figures))
    else:
        print(f"Celery {figures['celery']} (acks_late, prefetch 1, results + STARTED state in PostgreSQL)")
        print(f"dispatch latency apply_async -> task running: p50 {figures['dispatch_p50_ms']:.1f} ms, "
              f"p99 {figures['dispatch_p99_ms']:.1f} ms")
        print(f"throughput, 1 worker:  {figures['throughput_1_worker']:.1f} tasks/s")
        print(f"throughput, 2 workers: {figures['throughput_2_workers']:.1f} tasks/s")


if __name__ == "__main__":
    main()
