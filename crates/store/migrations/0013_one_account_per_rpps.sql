-- One RPPS belongs to at most one account: two accepted applications cannot carry the same RPPS
-- (RPPS numbers and names are public registry data, so typing one proves nothing). The
-- services refuse it first with a French message; this index is the last word under races.
CREATE UNIQUE INDEX applications_one_account_per_rpps ON applications (rpps)
    WHERE status = 'acceptee' AND rpps <> '';
