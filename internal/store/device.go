package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/postern/postern"
)

// createDeviceAttempts bounds CreateDevice's retries after a generated id,
// address or name turned out to be taken.
const createDeviceAttempts = 64

// CreateDevice inserts d. Whatever the caller left empty (ID, NodeID,
// IPv4, IPv6, Name) is generated, and regenerated if another writer took
// it first; what the caller set is used as given and a collision is a
// conflict.
func (q *queries) CreateDevice(ctx context.Context, d *postern.Device) error {
	if d.Created.IsZero() {
		d.Created = q.now()
	}
	var (
		autoID     = d.ID == 0
		autoNodeID = d.NodeID == ""
		autoV4     = !d.IPv4.IsValid()
		autoV6     = !d.IPv6.IsValid()
		autoName   = d.Name == ""
		base       = nameFromHostname(d.Hostname)
		lastErr    error
	)
	for attempt := range createDeviceAttempts {
		c := *d
		if autoID {
			c.ID = randInt53()
		}
		if autoNodeID {
			c.NodeID = newNodeID()
		}
		if autoV4 {
			c.IPv4 = randomIPv4()
		}
		if autoV6 && c.IPv4.Is4() {
			c.IPv6 = ipv6For(c.IPv4)
		}
		if autoName {
			name, err := q.pickName(ctx, c.TailnetID, base, attempt)
			if err != nil {
				return err
			}
			c.Name = name
		}
		err := q.insertDevice(ctx, &c)
		if err == nil {
			*d = c
			return nil
		}
		lastErr = err
		retry := false
		switch q.d.uniqueViolation(err) {
		case "":
			if q.d.foreignKeyViolation(err) {
				return notFound("tailnet %q not found", d.TailnetID)
			}
			return fmt.Errorf("create device %s: %w", c.Hostname, err)
		case "devices_pkey":
			retry = autoID
		case "devices_node_id_uniq":
			retry = autoNodeID
		case "devices_ipv4_uniq":
			retry = autoV4
		case "devices_ipv6_uniq":
			retry = autoV4 && autoV6
			if !retry && autoV6 {
				// The IPv6 address was derived from the caller's IPv4.
				return conflict("address %s is in use in the tailnet", c.IPv4)
			}
		case "devices_name_uniq":
			retry = autoName
		}
		if !retry {
			return q.deviceWriteError(err, &c, "create")
		}
	}
	return fmt.Errorf("create device %s: still colliding after %d attempts: %w", d.Hostname, createDeviceAttempts, lastErr)
}

// pickName returns a name for a device whose hostname gave base: base
// itself on the first attempt, without a query; after a collision the
// first free one of base-1, base-2, ...; and on later attempts one of the
// first few free names at random, so concurrent registrations of one
// hostname spread out instead of colliding again.
func (q *queries) pickName(ctx context.Context, tailnetID, base string, attempt int) (string, error) {
	if attempt == 0 {
		return base, nil // usually free; the insert tells
	}
	prefix := base[:min(len(base), 50)]
	rows, err := q.query(ctx, `SELECT name FROM devices WHERE tailnet_id = ? AND name LIKE ?`, tailnetID, prefix+"%")
	if err != nil {
		return "", fmt.Errorf("list device names: %w", err)
	}
	names, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, "list device names")
	if err != nil {
		return "", err
	}
	taken := make(map[string]bool, len(names))
	for _, n := range names {
		taken[n] = true
	}
	free := freeNames(base, taken, 8)
	if attempt == 1 {
		return free[0], nil
	}
	return free[rand.IntN(len(free))], nil
}

// deviceWriteError turns a failed device write into a coded error.
func (q *queries) deviceWriteError(err error, d *postern.Device, op string) error {
	switch q.d.uniqueViolation(err) {
	case "":
	case "devices_pkey":
		return conflict("a device with id %d exists", d.ID)
	case "devices_node_id_uniq":
		return conflict("a device with node id %q exists", d.NodeID)
	case "devices_name_uniq":
		return conflict("a device named %q exists in the tailnet", d.Name)
	case "devices_ipv4_uniq":
		return conflict("address %s is in use in the tailnet", d.IPv4)
	case "devices_ipv6_uniq":
		return conflict("address %s is in use in the tailnet", d.IPv6)
	case "devices_node_key_uniq":
		return conflict("a device with node key %s exists", d.NodeKey)
	default:
		return conflict("device %s collides with an existing device", d.Name)
	}
	if q.d.foreignKeyViolation(err) {
		return notFound("tailnet %q not found", d.TailnetID)
	}
	return fmt.Errorf("%s device %d: %w", op, d.ID, err)
}

// deviceRow is a device's columns in their stored form.
type deviceRow struct {
	tags, advertised, enabled, serials, macs string
	ipv4, ipv6, hostinfo                     string
}

func encodeDevice(d *postern.Device) (deviceRow, error) {
	var r deviceRow
	var err error
	if r.tags, err = toJSON(d.Tags); err != nil {
		return r, err
	}
	if r.advertised, err = toJSON(d.AdvertisedRoutes); err != nil {
		return r, err
	}
	if r.enabled, err = toJSON(d.EnabledRoutes); err != nil {
		return r, err
	}
	if r.serials, err = toJSON(d.PostureIdentity.SerialNumbers); err != nil {
		return r, err
	}
	if r.macs, err = toJSON(d.PostureIdentity.HardwareAddrs); err != nil {
		return r, err
	}
	if !utf8.Valid(d.Hostinfo) {
		return r, postern.Errorf(postern.EINVALID, "device hostinfo is not valid UTF-8 JSON")
	}
	r.ipv4, r.ipv6, r.hostinfo = addrText(d.IPv4), addrText(d.IPv6), string(d.Hostinfo)
	return r, nil
}

func (q *queries) insertDevice(ctx context.Context, d *postern.Device) error {
	r, err := encodeDevice(d)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO devices (id, node_id, tailnet_id, user_id, name, hostname, machine_key, node_key,
		disco_key, os, os_version, client_version, tags, ephemeral, authorized, ipv4, ipv6, advertised_routes,
		enabled_routes, created, last_seen, key_expiry, key_expiry_disabled, serials, macs, posture_disabled,
		posture_updated, hostinfo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.NodeID, d.TailnetID, d.UserID, d.Name, d.Hostname, d.MachineKey, d.NodeKey,
		d.DiscoKey, d.OS, d.OSVersion, d.ClientVersion, r.tags, d.Ephemeral, d.Authorized, r.ipv4, r.ipv6, r.advertised,
		r.enabled, toNanos(d.Created), toNanos(d.LastSeen), toNanos(d.KeyExpiry), d.KeyExpiryDisabled, r.serials, r.macs,
		d.PostureIdentity.Disabled, toNanos(d.PostureIdentity.Updated), r.hostinfo)
	return err
}

const deviceColumns = `id, node_id, tailnet_id, user_id, name, hostname, machine_key, node_key,
	disco_key, os, os_version, client_version, tags, ephemeral, authorized, ipv4, ipv6, advertised_routes,
	enabled_routes, created, last_seen, key_expiry, key_expiry_disabled, serials, macs, posture_disabled,
	posture_updated, hostinfo`

func scanDevice(row interface{ Scan(...any) error }) (postern.Device, error) {
	var (
		d                                  postern.Device
		r                                  deviceRow
		created, lastSeen, keyExpiry, pupd int64
	)
	err := row.Scan(&d.ID, &d.NodeID, &d.TailnetID, &d.UserID, &d.Name, &d.Hostname, &d.MachineKey, &d.NodeKey,
		&d.DiscoKey, &d.OS, &d.OSVersion, &d.ClientVersion, &r.tags, &d.Ephemeral, &d.Authorized, &r.ipv4, &r.ipv6, &r.advertised,
		&r.enabled, &created, &lastSeen, &keyExpiry, &d.KeyExpiryDisabled, &r.serials, &r.macs, &d.PostureIdentity.Disabled,
		&pupd, &r.hostinfo)
	if err != nil {
		return d, err
	}
	d.Created, d.LastSeen, d.KeyExpiry, d.PostureIdentity.Updated = fromNanos(created), fromNanos(lastSeen), fromNanos(keyExpiry), fromNanos(pupd)
	if r.hostinfo != "" {
		d.Hostinfo = []byte(r.hostinfo)
	}
	errs := make([]error, 0, 7)
	var e error
	d.Tags, e = fromJSON[string](r.tags)
	errs = append(errs, e)
	d.AdvertisedRoutes, e = fromJSON[netip.Prefix](r.advertised)
	errs = append(errs, e)
	d.EnabledRoutes, e = fromJSON[netip.Prefix](r.enabled)
	errs = append(errs, e)
	d.PostureIdentity.SerialNumbers, e = fromJSON[string](r.serials)
	errs = append(errs, e)
	d.PostureIdentity.HardwareAddrs, e = fromJSON[string](r.macs)
	errs = append(errs, e)
	d.IPv4, e = parseAddr(r.ipv4)
	errs = append(errs, e)
	d.IPv6, e = parseAddr(r.ipv6)
	errs = append(errs, e)
	if err := errors.Join(errs...); err != nil {
		return d, fmt.Errorf("decode device %d: %w", d.ID, err)
	}
	return d, nil
}

// deviceWhere reads the one device matching where.
func (q *queries) deviceWhere(ctx context.Context, what string, where string, args ...any) (postern.Device, error) {
	d, err := scanDevice(q.queryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("device %s not found", what)
	}
	if err != nil {
		return d, fmt.Errorf("read device %s: %w", what, err)
	}
	return d, nil
}

func (q *queries) Device(ctx context.Context, id int64) (postern.Device, error) {
	return q.deviceWhere(ctx, fmt.Sprint(id), `id = ?`, id)
}

func (q *queries) DeviceByNodeID(ctx context.Context, nodeID string) (postern.Device, error) {
	return q.deviceWhere(ctx, fmt.Sprintf("%q", nodeID), `node_id = ?`, nodeID)
}

func (q *queries) DeviceByNodeKey(ctx context.Context, nodeKey string) (postern.Device, error) {
	if nodeKey == "" {
		return postern.Device{}, notFound("device with an empty node key not found")
	}
	return q.deviceWhere(ctx, "with node key "+nodeKey, `node_key = ?`, nodeKey)
}

// DeviceByMachineKey returns the newest device of the tailnet with the
// machine key, should a machine have registered more than once.
func (q *queries) DeviceByMachineKey(ctx context.Context, tailnetID, machineKey string) (postern.Device, error) {
	if machineKey == "" {
		return postern.Device{}, notFound("device with an empty machine key not found")
	}
	return q.deviceWhere(ctx, "with machine key "+machineKey,
		`tailnet_id = ? AND machine_key = ? ORDER BY created DESC, id DESC LIMIT 1`, tailnetID, machineKey)
}

func (q *queries) Devices(ctx context.Context, tailnetID string) ([]postern.Device, error) {
	rows, err := q.query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE tailnet_id = ? ORDER BY name`, tailnetID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return collect(rows, scanDevice, "list devices")
}

func (q *queries) StaleEphemeralDevices(ctx context.Context, before time.Time) ([]postern.Device, error) {
	cutoff := toNanos(before)
	rows, err := q.query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE ephemeral AND last_seen < ? AND created < ? ORDER BY id`, cutoff, cutoff)
	if err != nil {
		return nil, fmt.Errorf("list stale ephemeral devices: %w", err)
	}
	return collect(rows, scanDevice, "list stale ephemeral devices")
}

func (q *queries) UpdateDevice(ctx context.Context, d *postern.Device) error {
	r, err := encodeDevice(d)
	if err != nil {
		return err
	}
	err = q.execOne(ctx, notFound("device %d not found", d.ID), `UPDATE devices SET user_id = ?, name = ?, hostname = ?,
		machine_key = ?, node_key = ?, disco_key = ?, os = ?, os_version = ?, client_version = ?, tags = ?,
		ephemeral = ?, authorized = ?, ipv4 = ?, ipv6 = ?, advertised_routes = ?, enabled_routes = ?, last_seen = ?,
		key_expiry = ?, key_expiry_disabled = ?, serials = ?, macs = ?, posture_disabled = ?, posture_updated = ?,
		hostinfo = ?
		WHERE id = ?`,
		d.UserID, d.Name, d.Hostname, d.MachineKey, d.NodeKey, d.DiscoKey, d.OS, d.OSVersion, d.ClientVersion, r.tags,
		d.Ephemeral, d.Authorized, r.ipv4, r.ipv6, r.advertised, r.enabled, toNanos(d.LastSeen),
		toNanos(d.KeyExpiry), d.KeyExpiryDisabled, r.serials, r.macs, d.PostureIdentity.Disabled, toNanos(d.PostureIdentity.Updated),
		r.hostinfo, d.ID)
	if err != nil && !postern.IsNotFound(err) {
		return q.deviceWriteError(err, d, "update")
	}
	return err
}

func (q *queries) TouchDevice(ctx context.Context, id int64, lastSeen time.Time) error {
	err := q.execOneFast(ctx, notFound("device %d not found", id), `UPDATE devices SET last_seen = ? WHERE id = ?`, toNanos(lastSeen), id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("touch device %d: %w", id, err)
	}
	return err
}

// DeleteDevice deletes the device; the schema's ON DELETE CASCADE removes
// its attributes in the same statement.
func (q *queries) DeleteDevice(ctx context.Context, id int64) error {
	err := q.execOneFast(ctx, notFound("device %d not found", id), `DELETE FROM devices WHERE id = ?`, id)
	if err != nil && !postern.IsNotFound(err) {
		return fmt.Errorf("delete device %d: %w", id, err)
	}
	return err
}
