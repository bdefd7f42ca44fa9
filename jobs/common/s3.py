"""boto3 clients for the S3-compatible object store, configured from the settings.

The endpoint comes from ``settings.s3['endpoint_url']`` (``MINSHENG_S3_ENDPOINT_URL`` overrides it;
empty means AWS itself); credentials are never configuration: boto3 takes them from the environment
(``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``), a profile or an instance role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.common.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client, S3ServiceResource  # pragma: no cover


def _client_kwargs(settings: Settings) -> dict[str, Any]:
    from botocore.config import Config

    s3 = settings.s3 or {}
    kwargs: dict[str, Any] = {
        "region_name": s3.get("region") or "us-east-1",
        # Path-style addressing: S3-compatible servers on loopback have no per-bucket DNS names.
        "config": Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
    }
    endpoint = s3.get("endpoint_url")
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    return kwargs


def client(settings: Settings | None = None) -> S3Client:
    """A boto3 S3 client for the configured endpoint.

    Raises:
        ConfigError: no credentials are available from the environment or boto3's usual chain.
    """
    import boto3

    settings = settings or load_settings()
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise ConfigError(
            "No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment "
            "(any values for the local moto server started by infra/s3-server.sh)."
        )
    return session.client("s3", **_client_kwargs(settings))


def resource(settings: Settings | None = None) -> S3ServiceResource:
    """A boto3 S3 resource for the configured endpoint (same rules as :func:`client`)."""
    import boto3

    settings = settings or load_settings()
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise ConfigError("No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    return session.resource("s3", **_client_kwargs(settings))


def publish_bucket(settings: Settings) -> str:
    """The bucket published indicators, warnings, extracts and reports go to (profile ``s3.publish_bucket``)."""
    return settings.s3.get("publish_bucket") or "minsheng-publish"


def ensure_bucket(s3_client: S3Client, bucket: str) -> None:
    """Create ``bucket`` when it does not exist yet (idempotent)."""
    from botocore.exceptions import ClientError

    try:
        s3_client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        s3_client.create_bucket(Bucket=bucket)
