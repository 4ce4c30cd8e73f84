from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/units/import")


@bp.route("/")
def index():
    return "TODO"
