"""Following the authorities (theo dõi, đôn đốc cơ quan chức năng): a record handed to an
outside agency with a legal deadline, overdue past it, and the chasing letter (công văn đôn
đốc) to the agency or its superior. One mechanism for every record kind that needs it: the
incidents of violence now, supervision recommendations, petitions and dialogue commitments
later. See the README, "Following the authorities (follow-ups)"."""
