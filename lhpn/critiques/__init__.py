"""Social critiques (phản biện xã hội) and comments on drafts (góp ý dự thảo) of a unit."""
