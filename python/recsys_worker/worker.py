"""The Python training worker: serves trainGan, retrainA and retrainB on the task queue
`<prefix>-gpu-py` with the TypeScript stages' StageInput/StageRef contract (stage_runner.py).

    python -m recsys_worker.worker --address 127.0.0.1:7233 --namespace default \\
        --queue-prefix augment --artifact-uri s3://bucket/prefix [--device auto|cpu|cuda] \\
        [--s3-endpoint http://minio:9000] [--s3-region us-east-1] [--s3-path-style true|false]

Flags default to the environment the TypeScript workers read (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TASK_QUEUE_PREFIX, ARTIFACT_URI, AUGMENT_TRAINING_DEVICE,
AWS_ENDPOINT_URL_S3, AWS_REGION, S3_FORCE_PATH_STYLE); S3 credentials come from the
environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or boto3's default chain. Each activity
runs in a thread, one at a time per process (one accelerator, one training); it heartbeats
its progress and re-sends the last heartbeat every few seconds, so a dead worker is noticed
by the heartbeat timeout, and a retried attempt resumes from the checkpoint the last
heartbeat named. Bad input is a non-retryable ApplicationError named after its kind.
SIGINT/SIGTERM drain: the worker stops polling and waits for its activity.
"""

import argparse
import asyncio
import contextvars
import logging
import os
import signal
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker

from .activities import STAGES, describe_device, training_device
from .stage_runner import run_stage
from .state_io import BadArtifact
from .store import ArtifactCorrupted, open_store
from .work_dirs import remove_orphan_work_dirs

KEEPALIVE_SECONDS = 5.0
QUEUE_SUFFIX = "-gpu-py"


def worker_identity() -> str:
    """What this process reports to Temporal as its identity, and what each stage it runs
    records as `worker` in the run summary: workers/start-worker.ts's
    `<host>:<pid>:<role>:<queues>`, here `<host>:<pid>:activities:gpu-py`."""
    return f"{socket.gethostname()}:{os.getpid()}:activities:{QUEUE_SUFFIX.lstrip('-')}"


def stage_activity(name: str, store, identity: str | None = None):
    defn = STAGES[name]

    @activity.defn(name=name)
    def run(stage_input: dict) -> dict:
        details = activity.info().heartbeat_details
        previous = details[0] if details and isinstance(details[0], dict) else None
        last = {"details": previous}
        lock = threading.Lock()
        done = threading.Event()

        def heartbeat(d=None):
            if activity.is_cancelled():
                raise CancelledError(f"{name} was cancelled")
            with lock:
                last["details"] = d
                activity.heartbeat(d)

        def keep_alive(ctx):
            while not done.wait(KEEPALIVE_SECONDS):
                with lock:
                    ctx.run(activity.heartbeat, last["details"])

        def should_stop():
            if activity.is_cancelled():
                raise CancelledError(f"{name} was cancelled")

        beat = threading.Thread(target=keep_alive, args=(contextvars.copy_context(),), daemon=True)
        beat.start()
        try:
            return run_stage(
                defn, stage_input, store, worker=identity,
                heartbeat=heartbeat, previous_heartbeat=previous, should_stop=should_stop,
            )
        except BadArtifact as err:
            # A corrupted object carries what `augment verify` and `--recompute` read.
            details = [err.details()] if isinstance(err, ArtifactCorrupted) else []
            raise ApplicationError(str(err), *details, type=type(err).__name__, non_retryable=True) from err
        finally:
            done.set()

    return run


async def serve(args) -> None:
    if os.environ.get("TEMPORAL_PAYLOAD_KEY"):
        raise SystemExit("TEMPORAL_PAYLOAD_KEY is set: the Python worker has no payload codec; unset it for its queue")
    device = training_device(args.device)
    os.environ["AUGMENT_TRAINING_DEVICE"] = args.device
    store = open_store(
        args.artifact_uri, {"endpoint": args.s3_endpoint, "region": args.s3_region, "path_style": args.s3_path_style}
    )
    client = await Client.connect(args.address, namespace=args.namespace)
    queue = f"{args.queue_prefix}{QUEUE_SUFFIX}"
    # Heartbeats reach the server at most every min(this, 0.8 x the heartbeat timeout).
    throttle = {}
    if args.heartbeat_throttle_seconds is not None:
        interval = timedelta(seconds=args.heartbeat_throttle_seconds)
        throttle = {"max_heartbeat_throttle_interval": interval, "default_heartbeat_throttle_interval": interval}
    identity = worker_identity()
    # Inputs left behind by workers killed mid-stage (theirs and the TypeScript workers').
    remove_orphan_work_dirs()
    with ThreadPoolExecutor(max_workers=2) as pool:
        worker = Worker(
            client,
            task_queue=queue,
            identity=identity,
            activities=[stage_activity(name, store, identity) for name in STAGES],
            activity_executor=pool,
            max_concurrent_activities=1,
            **throttle,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
        # The line cli/worker-processes.ts waits for.
        print(f"worker serving {queue} (python, {describe_device(device)})", file=sys.stderr, flush=True)
        await worker.run()


def main(argv=None) -> int:
    env = os.environ
    ap = argparse.ArgumentParser(prog="python -m recsys_worker.worker")
    ap.add_argument("--address", default=env.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    ap.add_argument("--namespace", default=env.get("TEMPORAL_NAMESPACE", "default"))
    ap.add_argument("--queue-prefix", default=env.get("TASK_QUEUE_PREFIX", "augment"))
    ap.add_argument("--artifact-uri", default=env.get("ARTIFACT_URI"))
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default=env.get("AUGMENT_TRAINING_DEVICE", "auto"))
    ap.add_argument("--heartbeat-throttle-seconds", type=float, default=None)
    # S3 settings as the caller resolved them; unset, the environment's (s3_store.s3_settings).
    # Credentials are never flags: they come from the environment or boto3's default chain.
    ap.add_argument("--s3-endpoint", default=None)
    ap.add_argument("--s3-region", default=None)
    ap.add_argument("--s3-path-style", choices=["true", "false"], default=None)
    args = ap.parse_args(argv)
    args.s3_path_style = None if args.s3_path_style is None else args.s3_path_style == "true"
    if not args.artifact_uri:
        print("--artifact-uri (or ARTIFACT_URI) is required", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    try:
        asyncio.run(serve(args))
    except BadArtifact as err:
        print(str(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
