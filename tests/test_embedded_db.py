"""The embedded PostgreSQL of make run and make test (config.embedded_db)."""

from config.embedded_db import repair_handle_list


def test_a_broken_pgserver_pid_list_is_started_afresh(tmp_path):
    """pgserver rewrites its pid list without a lock; an empty or cut file must not stop make run."""
    path = tmp_path / ".handle_pids.json"
    assert repair_handle_list(path) is False and not path.exists()
    path.write_text("[12, 34]")
    assert repair_handle_list(path) is False and path.read_text() == "[12, 34]"
    for broken in ("", "[12, 3", "{}", '["x"]'):
        path.write_text(broken)
        assert repair_handle_list(path) is True
        assert path.read_text() == "[]"
