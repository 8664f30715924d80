-- The control server sweeps offline ephemeral devices by when they were
-- last seen; this keeps the sweep from reading every device.
CREATE INDEX devices_ephemeral_last_seen ON devices (last_seen) WHERE ephemeral;
