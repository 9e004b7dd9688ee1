"""FastAPI app: the order desk's HTTP interface."""
