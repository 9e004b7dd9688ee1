# One image for the API, the worker and the migration job; docker-compose.yml picks the command.
# The console's front-end libraries, from the npm registry by the lock file (no build chain).
FROM node:20-slim AS vendor
WORKDIR /vendor
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY db ./db
COPY api ./api
COPY --from=vendor /vendor/node_modules/htmx.org/dist/htmx.min.js /vendor/node_modules/chart.js/dist/chart.umd.min.js ./api/console/static/vendor/
COPY stack ./stack
COPY worker.py config.py temporal_client.py ./
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 orderflow
USER orderflow
EXPOSE 8000
CMD ["uvicorn", "--factory", "api.app:create_app", "--host", "0.0.0.0", "--port", "8000", "--timeout-keep-alive", "75"]
