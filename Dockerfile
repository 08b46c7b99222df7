# The pimh image: the stack's watcher, workers and one-shot deploy all run it
# (docker-compose.yml). Its entry point is the `pimh` command.

# --- build: pimh and its pinned dependencies, in a virtual environment ---------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/pimh
ENV PATH=/opt/pimh/bin:$PATH

WORKDIR /src
# The dependencies first, in a layer of their own: a change to pimh's code then rebuilds in
# seconds instead of installing the whole pinned set again.
COPY pyproject.toml constraints.txt ./
RUN python -c "import subprocess, sys, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-c', 'constraints.txt', *deps])"

COPY . .
RUN pip install -c constraints.txt .

# --- run: the environment alone, without the source or the build's leftovers ---------------
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/pimh/bin:$PATH

COPY --from=build /opt/pimh /opt/pimh

# A fixed uid, so that a host folder bind-mounted as a volume can be given to it. The data
# folders are created here, owned by that user, because Docker fills a new named volume
# with the image's folder (and its owner) at the mount point.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin pimh \
 && mkdir -p /data/landing /data/archive /data/feedback \
 && chown -R pimh:pimh /data

USER pimh
# `pimh deploy` and the workers run from this same folder in the same image, so whatever
# path a deployment records, every worker has it.
WORKDIR /home/pimh

ENTRYPOINT ["pimh"]
CMD ["--help"]
