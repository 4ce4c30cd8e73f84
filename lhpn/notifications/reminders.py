"""What a reminder answers, for plans and reports alike: a unit is reminded of one thing at
most once a day (Vietnam date), and the person who clicked is told how many units were
reminded and how many had been already today."""

from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass
class Reminded:
    reminded: int = 0
    skipped: int = 0

    @property
    def message(self) -> str:
        if self.skipped:
            return _("Đã nhắc %(n)d đơn vị; %(s)d đơn vị đã được nhắc hôm nay nên không nhắc "
                     "lại.", n=self.reminded, s=self.skipped)
        return _("Đã nhắc %(n)d đơn vị.", n=self.reminded)
