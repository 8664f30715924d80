-- The tailnet's DNS configuration (postern.DNS) as JSON; '' until it is
-- first set, read back as the default (MagicDNS on, nothing else).
ALTER TABLE tailnets ADD COLUMN dns TEXT NOT NULL DEFAULT '';
