"""Orders: intake, the order's views and history, and the messages staff and carriers send a
running order."""
