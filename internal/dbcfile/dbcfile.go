// Package dbcfile reads a DBC file into the indexes that the codec tests of canbus/bmscan and
// canbus/batbus compare their signal tables against: messages, comments, message attributes and
// value descriptions, by CAN id.
package dbcfile

import (
	"fmt"
	"os"

	"go.einride.tech/can/pkg/dbc"
)

// File is a parsed DBC file, indexed by CAN id.
type File struct {
	Messages map[uint32]*dbc.MessageDef
	Comments map[uint32]string                               // message comments
	Cycle    map[uint32]int64                                // GenMsgCycleTime
	Format   map[uint32]string                               // VFrameFormat
	Values   map[uint32]map[string][]dbc.ValueDescriptionDef // by signal name
}

// Load parses the DBC at path with einride's parser. A message listed twice is an error.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := dbc.NewParser(path, data)
	if err := p.Parse(); err != nil {
		return nil, err
	}
	f := &File{
		Messages: map[uint32]*dbc.MessageDef{},
		Comments: map[uint32]string{},
		Cycle:    map[uint32]int64{},
		Format:   map[uint32]string{},
		Values:   map[uint32]map[string][]dbc.ValueDescriptionDef{},
	}
	for _, def := range p.File().Defs {
		switch d := def.(type) {
		case *dbc.MessageDef:
			id := d.MessageID.ToCAN()
			if _, dup := f.Messages[id]; dup {
				return nil, fmt.Errorf("%s: message %X (%s) is listed twice", path, id, d.Name)
			}
			f.Messages[id] = d
		case *dbc.CommentDef:
			if d.ObjectType == dbc.ObjectTypeMessage {
				f.Comments[d.MessageID.ToCAN()] = d.Comment
			}
		case *dbc.AttributeValueForObjectDef:
			if d.ObjectType != dbc.ObjectTypeMessage {
				continue
			}
			switch d.AttributeName {
			case "GenMsgCycleTime":
				f.Cycle[d.MessageID.ToCAN()] = d.IntValue
			case "VFrameFormat":
				f.Format[d.MessageID.ToCAN()] = d.StringValue
			}
		case *dbc.ValueDescriptionsDef:
			id := d.MessageID.ToCAN()
			if f.Values[id] == nil {
				f.Values[id] = map[string][]dbc.ValueDescriptionDef{}
			}
			f.Values[id][string(d.SignalName)] = d.ValueDescriptions
		}
	}
	return f, nil
}
