"""Order logic, the poller and the runtime container the handlers use."""
