# One image for the API, the worker and the migration job; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY db ./db
COPY api ./api
COPY stack ./stack
COPY worker.py config.py ./
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 orderflow
USER orderflow
EXPOSE 8000
CMD ["uvicorn", "--factory", "api.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
