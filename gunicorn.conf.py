"""gunicorn settings for studyapp in production: ``gunicorn -c gunicorn.conf.py "studyapp:create_app()"``.

Environment:
    PORT: port to listen on (default 8000), on ``STUDYAPP_BIND_HOST`` (default 127.0.0.1: put a
        reverse proxy such as nginx in front, and set STUDYAPP_PROXY_HOPS=1).
    WEB_CONCURRENCY: worker processes (default 2: one per core of a 2-core machine).
    STUDYAPP_THREADS: threads per worker (default 4; gthread workers).
    STUDYAPP_MAX_REQUESTS: requests after which a worker is replaced (default 20000, with up to 10%
        jitter; 0: never).
    STUDYAPP_CONFIG: config class (set it to config.ProductionConfig; see config.py).
"""
import os

bind = f"{os.environ.get('STUDYAPP_BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("STUDYAPP_THREADS", "4"))
timeout = 30          # seconds a worker may spend on one request before it is restarted
graceful_timeout = 30
keepalive = 5
# Recycle a worker after this many requests (bounded memory), with jitter so not all at once. A
# worker's boot (importing and creating the app) costs about 1.2 s of CPU and leaves one worker
# fewer meanwhile: at 2,000 (the old value) bench/load.py saw a boot every few seconds, about
# 0.5 ms of CPU per request and a higher p99. 0 turns recycling off.
max_requests = int(os.environ.get("STUDYAPP_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("STUDYAPP_LOG_LEVEL", "info")
# Each worker opens its own database connections: create the app after the fork.
preload_app = False
