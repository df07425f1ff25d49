"""The Celery app of the side-by-side benchmark: one trivial task, configured for work that must not be lost."""
import os
import time

from celery import Celery

app = Celery("aip_bench", broker=os.environ["CELERY_BENCH_BROKER"], backend=os.environ["CELERY_BENCH_BACKEND"])
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_track_started=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    result_extended=False,
)


@app.task(name="echo")
def echo(params):
    started = time.time()
    return dict(params, started=started)
