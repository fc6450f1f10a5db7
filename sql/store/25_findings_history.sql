-- Findings keep their id and first-seen snapshot while they persist; one that disappears is
-- recorded as resolved in the snapshot where it is first missing (findings_current is complete here).

-- Resolved: open in history, absent now.
UPDATE findings_history
SET resolved_in_snapshot = getvariable('snapshot_id')
WHERE resolved_in_snapshot IS NULL
  AND finding_id NOT IN (SELECT finding_id FROM findings_current);

-- Persisting or reappearing: seen now.
UPDATE findings_history
SET last_seen_snapshot = getvariable('snapshot_id'), resolved_in_snapshot = NULL
WHERE finding_id IN (SELECT finding_id FROM findings_current);

INSERT INTO findings_history
SELECT finding_id, finding_type, person_id, coverage_year, getvariable('snapshot_id'), getvariable('snapshot_id'), NULL
FROM findings_current
WHERE finding_id NOT IN (SELECT finding_id FROM findings_history);
