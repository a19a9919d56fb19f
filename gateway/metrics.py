"""Prometheus metrics, declared once; every part increments these same objects.

Matricules and other personal data never appear in labels. Labels are bounded sets
(convention, status, error code, result), never file names.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SFTP_SESSIONS = Gauge("gateway_sftp_sessions", "SFTP sessions open now")
SFTP_LOGINS = Counter("gateway_sftp_logins_total", "SFTP login attempts", ["method", "result"])
SFTP_UPLOADS = Counter("gateway_sftp_uploads_total", "Uploads that ended", ["result"])
SFTP_UPLOAD_BYTES = Counter("gateway_sftp_upload_bytes_total", "Bytes of completed uploads")
SFTP_REFUSED = Counter(
    "gateway_sftp_refused_total", "Connections, channels, logins and requests refused at an SFTP limit", ["reason"]
)

FILES_RECEIVED = Counter("gateway_files_received_total", "Request files registered", ["source"])
RESPONSES = Counter("gateway_responses_total", "Responses written", ["convention", "status"])
REJECTIONS = Counter("gateway_findings_total", "Findings reported in responses", ["code", "severity"])
DEPOSIT_TO_RESPONSE = Histogram(
    "gateway_deposit_to_response_seconds",
    "From recuLe to the response in the outbox",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
PROCESSING_FAILURES = Counter(
    "gateway_processing_failures_total",
    "Failed processing attempts of request files: retried, or the file answered with SYS-001",
    ["action"],
)
CHECK_DURATION = Histogram(
    "gateway_check_seconds",
    "Time spent checking one file",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

ISOLATED_WORK = Counter(
    "gateway_isolated_work_total", "Calls to document worker processes (checks, text, previews)", ["task", "result"]
)
DOCUMENTS_CHECKED = Counter("gateway_documents_checked_total", "Application documents checked", ["verdict", "reason"])
APPLICATIONS = Counter("gateway_application_transitions_total", "Application status changes", ["status"])
WEB_LOGINS = Counter("gateway_web_logins_total", "Staff login attempts", ["result"])
# Computed at scrape time by the web node's /metrics (gateway/web/routes/ops.py).
OLDEST_UNANSWERED_AGE = Gauge(
    "gateway_oldest_unanswered_file_age_seconds", "Age of the oldest received file not yet answered (0: none)"
)
INTERNAL_ERROR_FILES = Gauge(
    "gateway_internal_error_files", "Request files answered with SYS-001 (could not be checked), not voided"
)
SPOOL_FREE_BYTES = Gauge("gateway_spool_free_bytes", "Free disk space of the file system holding each spool", ["spool"])
FORWARDING_UNSENT = Gauge(
    "gateway_forwarding_unsent_messages", "Messages in the broker outbox not yet confirmed by the broker"
)
FORWARDING_OLDEST_UNSENT_AGE = Gauge(
    "gateway_forwarding_oldest_unsent_age_seconds", "Age of the oldest unsent broker message (0: none)"
)
FORWARDING_BROKER_FAILING = Gauge(
    "gateway_forwarding_broker_failing", "1 while a live publisher's last attempt to reach the broker failed"
)
