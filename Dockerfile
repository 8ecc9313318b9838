# smkit: the collector, the API (smkit serve) and the simulators, as one image.
# Built in two stages: the wheel and its dependencies are installed in the first, only the
# installed files are copied into the second, which runs as an unprivileged user.
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY smkit ./smkit
RUN pip install --no-cache-dir --root-user-action=ignore --prefix=/install .

FROM python:3.11.11-slim-bookworm
RUN groupadd --system --gid 10001 smkit \
    && useradd --system --uid 10001 --gid smkit --home-dir /var/lib/smkit --create-home smkit
COPY --from=build /install /usr/local
USER 10001:10001
WORKDIR /var/lib/smkit
EXPOSE 8080
ENTRYPOINT ["smkit"]
CMD ["--help"]
