-- A guest invited by link may look only, or look and draw on the board.
ALTER TABLE participants ADD COLUMN may_draw INTEGER NOT NULL DEFAULT 0;
