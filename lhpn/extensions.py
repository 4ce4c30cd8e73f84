"""Unbound extensions: the factory binds them to an app."""

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.model import Model as FlaskModel
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

from lhpn.tenancy import TenantSession

# Named constraints from the first migration on, so later migrations can drop them by name.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# The session class checks the tenant of what ``get()`` finds (lhpn.tenancy).
db = SQLAlchemy(model_class=Base, session_options={"class_": TenantSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
cache = Cache()
# Storage and strategy come from the RATELIMIT_* settings (lhpn.config); every limit of ours
# names its own key (lhpn.throttle), the address is only the fallback.
limiter = Limiter(key_func=get_remote_address)

if TYPE_CHECKING:
    # ``db.Model`` is built at run time (Base with Flask-SQLAlchemy's mixins), so mypy sees only
    # a variable, which is no valid base class. The models subclass ``Model``: the same class
    # at run time, and to the type checker what it is made of.
    class Model(FlaskModel, Base):
        __abstract__ = True
        # Every model here names a table, so ``__table__`` is a Table (which update(),
        # insert() and delete() take), not the FromClause DeclarativeBase allows for.
        __table__: ClassVar[Table]
else:
    Model = db.Model
