package spec

import (
	"fmt"
	"os/user"
	"strconv"
)

// Identity is who an app runs as: user: and group: resolved against the
// user and group databases.
type Identity struct {
	User      string // the passwd name
	Uid, Gid  uint32
	Groups    []uint32 // supplementary, from the group database (initgroups)
	Home      string
	GroupName string
}

// Identity resolves a.User and a.Group, or returns nil when neither is
// set (the app runs as the daemon). A group alone keeps the daemon's user
// with that group. A user alone takes the user's primary group.
func (a *App) Identity() (*Identity, error) {
	if a.User == "" && a.Group == "" {
		return nil, nil
	}
	id := &Identity{}
	if a.User != "" {
		u, err := lookupUser(a.User)
		if err != nil {
			return nil, &FieldError{App: a.Name, Key: "user", Msg: fmt.Sprintf("%q: %v", a.User, err)}
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		id.User, id.Uid, id.Gid, id.Home = u.Username, uint32(uid), uint32(gid), u.HomeDir
		gids, err := u.GroupIds()
		if err != nil {
			return nil, &FieldError{App: a.Name, Key: "user", Msg: fmt.Sprintf("%q: its groups: %v", a.User, err)}
		}
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				id.Groups = append(id.Groups, uint32(n))
			}
		}
	} else {
		u, err := user.Current()
		if err != nil {
			return nil, &FieldError{App: a.Name, Key: "group", Msg: fmt.Sprintf("the daemon's own user: %v", err)}
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		id.User, id.Uid, id.Home = u.Username, uint32(uid), u.HomeDir
	}
	if a.Group != "" {
		g, err := lookupGroup(a.Group)
		if err != nil {
			return nil, &FieldError{App: a.Name, Key: "group", Msg: fmt.Sprintf("%q: %v", a.Group, err)}
		}
		gid, _ := strconv.ParseUint(g.Gid, 10, 32)
		id.Gid, id.GroupName = uint32(gid), g.Name
		id.Groups = append([]uint32{id.Gid}, id.Groups...)
	}
	return id, nil
}

// lookupUser finds a user by name, or by number as PM2's uid does.
func lookupUser(s string) (*user.User, error) {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		if u, err := user.LookupId(s); err == nil {
			return u, nil
		}
	}
	u, err := user.Lookup(s)
	if err != nil {
		return nil, fmt.Errorf("no such user (it must be in the user database, /etc/passwd)")
	}
	return u, nil
}

func lookupGroup(s string) (*user.Group, error) {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		if g, err := user.LookupGroupId(s); err == nil {
			return g, nil
		}
	}
	g, err := user.LookupGroup(s)
	if err != nil {
		return nil, fmt.Errorf("no such group (it must be in the group database, /etc/group)")
	}
	return g, nil
}
