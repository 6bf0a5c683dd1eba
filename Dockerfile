# dancegen image: `train`, `predict` (alias `inference`), `evaluate`, `serve` (docs/SCALING.md).
#   docker build -t dancegen .                                            # CPU image
#   docker build -t dancegen:cuda --build-arg BASE_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 \
#       --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu124 .  # CUDA image
#   docker run --rm -v "$PWD/data:/data" dancegen predict /data/song.mp3 -o /data/song.mp4
ARG BASE_IMAGE=python:3.11.7-slim-bookworm
FROM ${BASE_IMAGE}

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DANCEGEN_CACHE=/data/.cache/dancegen \
    DANCEGEN_DATA=/data

# CUDA base images have no Python 3.11: install it there; the python image already has it.
RUN if ! command -v python3.11 >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
# torch first (CPU or CUDA wheel by TORCH_INDEX), then the package under the pinned constraints
RUN pip install --upgrade pip \
    && pip install --index-url "${TORCH_INDEX}" torch==2.13.0 \
    && pip install -c constraints.txt .
COPY configs ./configs
COPY docker/entrypoint.sh /usr/local/bin/dancegen-entrypoint

RUN useradd --create-home --uid 1000 dancer && mkdir -p /data && chown dancer /data \
    && chmod 755 /usr/local/bin/dancegen-entrypoint
USER dancer
VOLUME ["/data"]
WORKDIR /data
ENTRYPOINT ["dancegen-entrypoint"]
CMD ["--help"]
