"""One Optuna study shared by worker processes: a journal file or a database server."""

import os
import re
import time
import warnings
from pathlib import Path

__all__ = ["open_study"]

# Seconds a worker may go silent before its running trial is marked failed (RDB only).
_HEARTBEAT_INTERVAL = 60
_CONNECT_TIMEOUT = 10
_CREATE_ATTEMPTS = 4


def open_study(study_name, storage=None, *, direction="minimize", sampler=None, pruner=None,
               heartbeat_interval=_HEARTBEAT_INTERVAL):
    """Create an Optuna study, or load it when it exists, for several worker processes.

    Every worker process (on one machine or many) calls ``open_study`` with the same
    name and storage, then ``study.optimize(objective, n_trials=...)``: Optuna's
    storage hands out the trials, so the workers need nothing else in common. A study
    whose workers were killed is resumed by starting workers again.

    Parameters
    ----------
    study_name : str
        Name of the study in the storage.
    storage : str, path-like, optuna storage or None, default=None
        - None: the journal file ``<study_name>.optuna.log`` in the current directory
          (Optuna's :class:`~optuna.storages.journal.JournalFileBackend`): no server, and
          safe for several processes on one machine or a shared file system.
        - a path: that journal file.
        - a database URL: Optuna's :class:`~optuna.storages.RDBStorage`, e.g.
          ``"postgresql://user:password@host:5432/optuna"`` (needs ``psycopg`` 3; the
          ``search`` extra installs it) or ``"sqlite:///study.db"``. Workers send a
          heartbeat, so the running trial of a worker that was killed is marked
          failed (when another worker next asks for a trial) instead of running
          forever.
        - an Optuna storage object, used as is.
    direction : {"minimize", "maximize"}, default="minimize"
        Direction of the objective.
    sampler, pruner : optuna sampler and pruner, default=None
        Optuna's defaults (TPE, median pruning) when None. Pruning works through
        ``optuna_integration.SkorchPruningCallback`` passed in an estimator's
        ``callbacks``.
    heartbeat_interval : int or None, default=60
        Seconds between a database worker's heartbeats (None: no heartbeat).

    Returns
    -------
    study : optuna.Study

    Raises
    ------
    ConnectionError
        If the database cannot be reached; the message names the URL with its password
        hidden. Raised before any trial runs.
    ValueError
        If the URL is malformed or the journal file's directory does not exist.

    Examples
    --------
    >>> from sklearn_ecgmcg.model_selection import open_study
    >>> study = open_study("stage2", "postgresql://optuna@db:5432/optuna")  # doctest: +SKIP
    >>> study.optimize(objective, n_trials=20)  # in every worker  # doctest: +SKIP
    """
    import optuna

    if not isinstance(study_name, str) or not study_name:
        raise TypeError(f"study_name must be a non-empty str, got {study_name!r}.")
    if storage is None or isinstance(storage, (str, os.PathLike)):
        storage = _storage(study_name, storage, heartbeat_interval)
    return optuna.create_study(study_name=study_name, storage=storage, direction=direction,
                               sampler=sampler, pruner=pruner, load_if_exists=True)


def _storage(study_name, location, heartbeat_interval):
    if location is None:
        location = f"{study_name}.optuna.log"
    if isinstance(location, str) and "://" in location:
        return _database(location, heartbeat_interval)
    return _journal_file(Path(location))


def _journal_file(path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if not path.parent.is_dir():
        raise ValueError(f"The directory of the Optuna journal file {path} does not exist.")
    return JournalStorage(JournalFileBackend(str(path)))


def _database(url, heartbeat_interval):
    """Optuna's RDB storage, after checking the database answers (password hidden)."""
    import sqlalchemy
    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import RDBStorage
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = sqlalchemy.engine.make_url(url)
    except (ArgumentError, ValueError) as error:
        hidden = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
        raise ValueError(f"Cannot parse the database URL {hidden!r}: {error}") from None
    shown = parsed.render_as_string(hide_password=True)
    engine_kwargs = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        engine_kwargs["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT}
    try:
        engine = sqlalchemy.create_engine(parsed, **engine_kwargs)
        with engine.connect():
            pass
        engine.dispose()
    except (NoSuchModuleError, ImportError) as error:
        raise ValueError(f"No database driver for {shown}: {error}. For PostgreSQL, "
                         "install psycopg[binary] (the 'search' extra).") from None
    except sqlalchemy.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ConnectionError(f"Cannot reach the Optuna database {shown}: {reason}") from None
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            with warnings.catch_warnings():  # the heartbeat is "experimental" in Optuna
                warnings.simplefilter("ignore", ExperimentalWarning)
                return RDBStorage(url, engine_kwargs=engine_kwargs,
                                  heartbeat_interval=heartbeat_interval)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            # Workers started together on an empty database race to create Optuna's
            # tables and types ("already exists"); the loser finds them made once the
            # winner commits.
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
