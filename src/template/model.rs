//! The template the passes work on: every value kept as written in the
//! event until a pass asks for it, then parsed, once.
//!
//! A template is a mapping of sections ([`Template`]); its `Resources` is a
//! mapping of resources, and each resource's `Properties` a mapping of
//! properties: those three levels are read entry by entry ([`Entries`]),
//! every other value is kept as the event wrote it (borrowed from the
//! event's bytes) and parsed into a [`Value`] on first access. A pass that
//! changes one part of a large value opens it one level at a time instead
//! ([`Entries::mapping_mut`], [`Entries::list_mut`]: a role's policies, to
//! add a statement to the first). Nothing else decides what is parsed: a
//! value reads the same whichever way it is asked for, and every value was
//! checked when the event was read ([`super::read`]), so it parses the same
//! whether a pass asks for it or not.
//!
//! The template is written back through serde: a value no pass changed as
//! received, the others as values. [`Template::received`] writes the
//! template as it was received, whatever the passes changed (the answer of
//! a failed transform).

use std::borrow::Cow;
use std::cell::OnceCell;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A key as written: borrowed from the event unless it holds escapes, or
/// given by a pass.
pub type Key<'a> = Cow<'a, str>;

/// One value of the template: as received until a pass asks for it, or
/// as a pass left it.
#[derive(Debug, Clone)]
struct Slot<'a> {
    /// The value as received (`None`: a pass added it).
    received: Option<Cow<'a, RawValue>>,
    /// What it holds now.
    now: Now,
}

/// What a [`Slot`] holds now. Values are boxed: most slots hold none (they
/// are as received, never parsed), and an entry of a template then takes 64
/// bytes rather than 128 (at 80 bytes: peak memory 14% less on
/// framework-500, 8% on functions-500; scripts/bench's events, measured with
/// /usr/bin/time; at 64, see [`Written`]).
#[derive(Debug, Clone)]
enum Now {
    /// The value as received, parsed on first access.
    Received(OnceCell<Box<Value>>),
    /// A value a pass changed (or gave).
    Changed(Box<Value>),
    /// A value a pass changed, written once its pass was done (settled:
    /// [`Template::settle`]), parsed again only if asked for.
    Written(Box<Written>),
}

/// A value a pass changed, as written once its pass was done: boxed, so
/// that [`Now`] takes 16 bytes and an entry of a template 64 rather than 80
/// (most entries are never changed): peak heap 0.2 MB less on functions-500
/// and framework-500, 0.4 MB on sam-500 (massif).
#[derive(Debug, Clone)]
struct Written {
    /// The value's text.
    text: Box<RawValue>,
    /// The value, when asked for again.
    value: OnceCell<Box<Value>>,
}

impl Written {
    fn new(text: Box<RawValue>) -> Box<Written> {
        Box::new(Written {
            text,
            value: OnceCell::new(),
        })
    }
}

impl<'a> Slot<'a> {
    fn received(raw: Cow<'a, RawValue>) -> Self {
        Slot {
            received: Some(raw),
            now: Now::Received(OnceCell::new()),
        }
    }

    /// A value read as a value (not kept as written): received as its text.
    fn received_value(value: Value) -> Self {
        Slot {
            received: Some(Cow::Owned(to_raw(&value))),
            now: Now::Received(OnceCell::from(Box::new(value))),
        }
    }

    fn given(value: Value) -> Self {
        Slot {
            received: None,
            now: Now::Changed(Box::new(value)),
        }
    }

    fn get(&self) -> &Value {
        match &self.now {
            Now::Received(cell) => {
                cell.get_or_init(|| parse(self.received.as_deref().map_or("null", RawValue::get)))
            }
            Now::Changed(value) => value,
            Now::Written(written) => written.value.get_or_init(|| parse(written.text.get())),
        }
    }

    fn get_mut(&mut self) -> &mut Value {
        if !matches!(self.now, Now::Changed(_)) {
            let value = match std::mem::replace(&mut self.now, Now::Changed(Box::default())) {
                Now::Received(cell) => cell.into_inner().unwrap_or_else(|| {
                    parse(self.received.as_deref().map_or("null", RawValue::get))
                }),
                Now::Written(written) => {
                    let Written { text, value } = *written;
                    value.into_inner().unwrap_or_else(|| parse(text.get()))
                }
                Now::Changed(value) => value,
            };
            self.now = Now::Changed(value);
        }
        match &mut self.now {
            Now::Changed(value) => value,
            _ => unreachable!("changed just now"),
        }
    }

    /// The text of the value as it is now, when it is text.
    fn text(&self) -> Option<&RawValue> {
        match &self.now {
            Now::Received(_) => self.received.as_deref(),
            Now::Written(written) => Some(&written.text),
            Now::Changed(_) => None,
        }
    }

    /// Writes a changed value to text, freeing it: its pass is done.
    fn settle(&mut self) {
        if let Now::Changed(value) = &self.now {
            self.now = Now::Written(Written::new(to_raw(value)));
        }
    }

    /// The value opened one level, when it is a mapping or a list: read
    /// again from its text (its parts borrowed from the event when it is
    /// as received), or split when a pass changed it.
    fn opened(&self) -> Option<Opened<'a>> {
        if let (Now::Received(_), Some(Cow::Borrowed(raw))) = (&self.now, &self.received) {
            return super::read::open(raw);
        }
        let mut opened = match self.get() {
            Value::Object(map) => Opened::Mapping(Entries::from_map(map.clone(), &[])),
            Value::Array(items) => Opened::List(Items {
                items: items
                    .iter()
                    .cloned()
                    .map(|v| Node::Value(Slot::given(v)))
                    .collect(),
                ..Items::default()
            }),
            _ => return None,
        };
        let received = self.as_received().into_owned();
        match &mut opened {
            Opened::Mapping(entries) => entries.opened_from = Some(Cow::Owned(received)),
            Opened::List(items) => items.opened_from = Some(Cow::Owned(received)),
        }
        Some(opened)
    }

    /// The value as received: its text, or (a value read as one) its value.
    fn as_received(&self) -> Cow<'_, RawValue> {
        match &self.received {
            Some(raw) => Cow::Borrowed(raw),
            None => Cow::Owned(to_raw(self.get())),
        }
    }

    /// The value as received, when a pass read or changed it and its text
    /// may name a secret (`may_name`). What passes add comes from the
    /// configuration, whose secrets are known.
    fn received_with_secrets(&self, may_name: &impl Fn(&str) -> bool) -> Option<Value> {
        let read = match &self.now {
            Now::Received(cell) => cell.get().is_some(),
            Now::Changed(_) | Now::Written(..) => true,
        };
        let received = self.received.as_deref().filter(|_| read)?.get();
        may_name(received).then(|| *parse(received))
    }
}

/// A value kept as written, parsed (it was checked when the event was read).
fn parse(text: &str) -> Box<Value> {
    serde_json::from_str(text).expect("a value kept as written was checked when read")
}

impl Serialize for Slot<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (&self.now, &self.received) {
            (Now::Received(_), Some(raw)) => raw.serialize(serializer),
            (Now::Written(written), _) => written.text.serialize(serializer),
            _ => self.get().serialize(serializer),
        }
    }
}

fn to_raw(value: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("a value serialises")
}

/// A value of the template: kept as a value, or opened one level into
/// entries or items (each a node in turn).
#[derive(Debug, Clone)]
enum Node<'a> {
    /// A value, parsed on first access.
    Value(Slot<'a>),
    /// A mapping read entry by entry.
    Mapping(Box<Entries<'a>>),
    /// A list read item by item.
    List(Box<Items<'a>>),
}

impl<'a> Node<'a> {
    /// The whole value (a mapping or list opened: made of its parts, once,
    /// until they change).
    fn value(&self) -> &Value {
        match self {
            Node::Value(slot) => slot.get(),
            Node::Mapping(entries) => entries.whole.get_or_init(|| Box::new(entries.to_value())),
            Node::List(items) => items.whole.get_or_init(|| Box::new(items.to_value())),
        }
    }

    /// The whole value, to change (a mapping or list opened is one value
    /// again).
    fn value_mut(&mut self) -> &mut Value {
        let (received, value) = match self {
            Node::Value(slot) => return slot.get_mut(),
            Node::Mapping(entries) => (entries.as_received(), entries.to_value()),
            Node::List(items) => (items.as_received(), items.to_value()),
        };
        *self = Node::Value(Slot {
            received: Some(received),
            now: Now::Changed(Box::new(value)),
        });
        match self {
            Node::Value(slot) => slot.get_mut(),
            _ => unreachable!("made a value above"),
        }
    }

    /// The mapping, opened one level; `None` when the value is not one.
    fn open_mapping(&mut self) -> Option<&mut Entries<'a>> {
        if let Node::Value(slot) = self {
            let entries = match slot.opened()? {
                Opened::Mapping(entries) => entries,
                Opened::List(_) => return None,
            };
            *self = Node::Mapping(Box::new(entries));
        }
        match self {
            Node::Mapping(entries) => {
                entries.whole = OnceCell::new();
                Some(entries)
            }
            _ => None,
        }
    }

    /// The list, opened one level; `None` when the value is not one.
    fn open_list(&mut self) -> Option<&mut Items<'a>> {
        if let Node::Value(slot) = self {
            let items = match slot.opened()? {
                Opened::List(items) => items,
                Opened::Mapping(_) => return None,
            };
            *self = Node::List(Box::new(items));
        }
        match self {
            Node::List(items) => {
                items.whole = OnceCell::new();
                Some(items)
            }
            _ => None,
        }
    }

    /// Whether the value may hold the string `wanted` looks for (`false`
    /// only when its text, without escapes, does not mention it: then no
    /// need to parse it to know).
    fn may_hold(&self, wanted: &StringSearch) -> bool {
        let Some(raw) = (match self {
            Node::Value(slot) => slot.text(),
            _ => None,
        }) else {
            return true;
        };
        let raw = raw.get().as_bytes();
        memchr::memchr(b'\\', raw).is_some()
            || memchr::memmem::find(raw, wanted.0.as_bytes()).is_some()
    }

    fn received(&self) -> Cow<'_, RawValue> {
        match self {
            Node::Value(slot) => slot.as_received(),
            Node::Mapping(entries) => entries.as_received(),
            Node::List(items) => items.as_received(),
        }
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Value(slot) => slot.serialize(serializer),
            Node::Mapping(entries) => entries.serialize(serializer),
            Node::List(items) => items.serialize(serializer),
        }
    }
}

/// A value opened one level.
pub(super) enum Opened<'a> {
    /// A mapping.
    Mapping(Entries<'a>),
    /// A list.
    List(Items<'a>),
}

/// Past this many entries, a mapping's keys are also indexed by a hash map
/// (`Resources`); below it they are compared in turn. The index: 28% fewer
/// instructions on functions-500 (120 M to 86 M); none for small mappings:
/// 11% fewer on framework-500 (60.3 M to 53.8 M), 7% less peak memory.
/// 32 rather than 16: a function's opened `Environment.Variables` holds 17
/// to 25 keys once Datadog's are added, and indexing it cost more than it
/// saved (functions-500: 83.6 M instructions at 16, 81.3 M at 32).
const INDEXED: usize = 32;

/// A mapping of the template read entry by entry: the template's sections,
/// `Resources`, a resource, a resource's `Properties`, or a mapping a pass
/// opened. Each value is parsed on first access, or opened one level in
/// turn ([`Entries::mapping_mut`], [`Entries::list_mut`]).
///
/// Keys keep their order; a key given twice keeps its first place and its
/// last value, as serde_json reads it. Entries are added, never removed.
#[derive(Debug, Clone, Default)]
pub struct Entries<'a> {
    items: Vec<(Key<'a>, Node<'a>)>,
    /// How many of `items` (the first ones) were received.
    received: usize,
    /// The position of each key, when there are more than [`INDEXED`].
    index: Option<Box<foldhash::HashMap<Key<'a>, usize>>>,
    /// The text it was opened from (a mapping the reader did not read
    /// entry by entry): what it was as received.
    opened_from: Option<Cow<'a, RawValue>>,
    /// The whole mapping as a value, when asked for (until it changes).
    whole: OnceCell<Box<Value>>,
}

impl<'a> Entries<'a> {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.items.iter().position(|(k, _)| k == key),
        }
    }

    /// Adds an entry, or replaces the value of its key.
    fn put(&mut self, key: Key<'a>, node: Node<'a>) {
        self.whole = OnceCell::new();
        match self.position(&key) {
            Some(at) => self.items[at].1 = node,
            None => self.push(key, node),
        }
    }

    /// Adds an entry whose key is not there.
    fn push(&mut self, key: Key<'a>, node: Node<'a>) {
        self.whole = OnceCell::new();
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.items.len());
        } else if self.items.len() == INDEXED {
            let mut index: foldhash::HashMap<Key<'a>, usize> = self
                .items
                .iter()
                .enumerate()
                .map(|(at, (k, _))| (k.clone(), at))
                .collect();
            index.insert(key.clone(), self.items.len());
            self.index = Some(Box::new(index));
        }
        self.items.push((key, node));
    }

    /// Adds an entry read from the event (a key read twice: the last value
    /// in the first place).
    pub(super) fn put_received_value(&mut self, key: Key<'a>, raw: Cow<'a, RawValue>) {
        self.put(key, Node::Value(Slot::received(raw)));
        self.received = self.items.len();
    }

    /// Adds a value read from the event as a value (where a mapping was
    /// expected).
    pub(super) fn put_received_parsed(&mut self, key: Key<'a>, value: Value) {
        self.put(key, Node::Value(Slot::received_value(value)));
        self.received = self.items.len();
    }

    /// Adds a mapping read from the event.
    pub(super) fn put_received_mapping(&mut self, key: Key<'a>, entries: Entries<'a>) {
        self.put(key, Node::Mapping(Box::new(entries)));
        self.received = self.items.len();
    }

    /// Marks the entries as opened from `raw`.
    pub(super) fn opened_from(mut self, raw: &'a RawValue) -> Self {
        self.opened_from = Some(Cow::Borrowed(raw));
        self
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `key` is there (nothing is parsed).
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(k, _)| k.as_ref())
    }

    /// Whether the mapping is an intrinsic function (one key: `Ref`,
    /// `Condition` or `Fn::…`).
    pub fn is_intrinsic(&self) -> bool {
        matches!(self.items.as_slice(), [(key, _)] if is_intrinsic_key(key))
    }

    /// The string at `key`, parsed on first access.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// The value of `key`, parsed on first access.
    pub fn get(&self, key: &str) -> Option<&Value> {
        Some(self.items[self.position(key)?].1.value())
    }

    /// The value at `path`, a key at each level: what [`Entries::get`] of
    /// each key in turn gives, without making whole a mapping a pass opened.
    pub fn get_in(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        match &self.items[self.position(first)?].1 {
            Node::Mapping(entries) if !rest.is_empty() => entries.get_in(rest),
            node => rest
                .iter()
                .try_fold(node.value(), |value, key| value.as_object()?.get(*key)),
        }
    }

    /// The node of `key`, to change (the whole mapping may change).
    fn node_mut(&mut self, key: &str) -> Option<&mut Node<'a>> {
        let at = self.position(key)?;
        self.whole = OnceCell::new();
        Some(&mut self.items[at].1)
    }

    /// The value of `key`, to change (a mapping or list opened is one value
    /// again).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.node_mut(key).map(Node::value_mut)
    }

    /// Sets the value of `key` (added at the end when absent).
    pub fn insert(&mut self, key: impl Into<Key<'a>>, value: Value) {
        let key = key.into();
        match self.node_mut(&key) {
            Some(node) => *node.value_mut() = value,
            None => self.push(key, Node::Value(Slot::given(value))),
        }
    }

    /// Adds an entry whose key the caller has just found absent
    /// ([`Entries::contains_key`]): the keys are not looked through again.
    pub fn insert_absent(&mut self, key: impl Into<Key<'a>>, value: Value) {
        let key = key.into();
        debug_assert!(!self.contains_key(&key), "{key} is there already");
        self.push(key, Node::Value(Slot::given(value)));
    }

    /// Sets each entry of `map`, as [`Entries::insert`] does.
    pub fn assign(&mut self, map: Map<String, Value>) {
        for (key, value) in map {
            self.insert(key, value);
        }
    }

    /// The value of `key`, added from `default` when absent.
    pub fn or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        if !self.contains_key(key) {
            self.put(
                Cow::Owned(key.to_string()),
                Node::Value(Slot::given(default())),
            );
        }
        self.get_mut(key).expect("present")
    }

    /// The mapping at `key` as read entry by entry (a resource of
    /// `Resources`, its `Properties`, or a mapping a pass opened); `None`
    /// when it is not, or is not a mapping (see [`Entries::get`]).
    pub fn mapping(&self, key: &str) -> Option<&Entries<'a>> {
        match &self.items[self.position(key)?].1 {
            Node::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The list at `key` as a pass opened it; `None` when it is not (see
    /// [`Entries::get`]).
    pub fn list(&self, key: &str) -> Option<&Items<'a>> {
        match &self.items[self.position(key)?].1 {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    /// The mapping at `key`, opened one level to change; `None` when absent
    /// or not a mapping.
    pub fn mapping_mut(&mut self, key: &str) -> Option<&mut Entries<'a>> {
        self.node_mut(key)?.open_mapping()
    }

    /// The list at `key`, opened one level to change; `None` when absent or
    /// not a list.
    pub fn list_mut(&mut self, key: &str) -> Option<&mut Items<'a>> {
        self.node_mut(key)?.open_list()
    }

    /// The mapping at `key` opened ([`Entries::mapping_mut`]), added (empty)
    /// when absent; `None` when `key` holds something else.
    pub fn mapping_or_insert(&mut self, key: &str) -> Option<&mut Entries<'a>> {
        if !self.contains_key(key) {
            let empty = Node::Mapping(Box::default());
            self.put(Cow::Owned(key.to_string()), empty);
        }
        self.mapping_mut(key)
    }

    /// The list at `key` opened ([`Entries::list_mut`]), added (empty) when
    /// absent; `None` when `key` holds something else.
    pub fn list_or_insert(&mut self, key: &str) -> Option<&mut Items<'a>> {
        if !self.contains_key(key) {
            let empty = Node::List(Box::default());
            self.put(Cow::Owned(key.to_string()), empty);
        }
        self.list_mut(key)
    }

    /// Takes the mapping at `key` out (an empty one stands in for it until
    /// [`Entries::put_mapping`] puts it back).
    pub fn take_mapping(&mut self, key: &str) -> Option<Entries<'a>> {
        self.mapping_mut(key).map(std::mem::take)
    }

    /// Puts a mapping at `key`: where it was taken from, or added at the end.
    pub fn put_mapping(&mut self, key: &str, entries: Entries<'a>) {
        match self.node_mut(key) {
            Some(node) => *node = Node::Mapping(Box::new(entries)),
            None => self.put(
                Cow::Owned(key.to_string()),
                Node::Mapping(Box::new(entries)),
            ),
        }
    }

    /// The whole mapping as a value (everything parsed).
    pub fn to_value(&self) -> Value {
        Value::Object(self.to_map())
    }

    /// The whole mapping as a map of values (everything parsed).
    pub fn to_map(&self) -> Map<String, Value> {
        self.items
            .iter()
            .map(|(key, node)| (key.to_string(), node.value().clone()))
            .collect()
    }

    /// A mapping of values given by a pass, its mappings at `expand` read
    /// entry by entry too (a resource's `Properties`).
    pub fn from_map(map: Map<String, Value>, expand: &[&str]) -> Entries<'a> {
        let mut entries = Entries {
            items: Vec::with_capacity(map.len()),
            ..Entries::default()
        };
        for (key, value) in map {
            let node = match value {
                Value::Object(inner) if expand.contains(&key.as_str()) => {
                    Node::Mapping(Box::new(Entries::from_map(inner, &[])))
                }
                value => Node::Value(Slot::given(value)),
            };
            entries.put(Cow::Owned(key), node);
        }
        entries
    }

    /// The mapping as received.
    fn as_received(&self) -> Cow<'a, RawValue> {
        match &self.opened_from {
            Some(raw) => raw.clone(),
            None => Cow::Owned(
                serde_json::value::to_raw_value(&Received(self)).expect("a template serialises"),
            ),
        }
    }

    fn read_with_secrets(
        &self,
        may_name: &impl Fn(&str) -> bool,
        found: &mut impl FnMut(&str, &Value),
    ) {
        for (key, node) in &self.items {
            node.read_with_secrets(key, may_name, found);
        }
    }
}

impl Node<'_> {
    fn read_with_secrets(
        &self,
        key: &str,
        may_name: &impl Fn(&str) -> bool,
        found: &mut impl FnMut(&str, &Value),
    ) {
        match self {
            Node::Value(slot) => {
                let may_name = |text: &str| may_name(key) || may_name(text);
                if let Some(value) = slot.received_with_secrets(&may_name) {
                    found(key, &value);
                }
            }
            Node::Mapping(entries) => entries.read_with_secrets(may_name, found),
            Node::List(items) => items
                .items
                .iter()
                .for_each(|item| item.read_with_secrets(key, may_name, found)),
        }
    }

    /// Settles a value a pass changed (see [`Template::settle`]); a mapping
    /// or list a pass opened or made is written whole.
    fn settle(&mut self) {
        let received = match self {
            Node::Value(slot) => return slot.settle(),
            Node::Mapping(entries) => entries.opened_from.clone(),
            Node::List(items) => items.opened_from.clone(),
        };
        let text = serde_json::value::to_raw_value(&*self).expect("a template serialises");
        *self = Node::Value(Slot {
            received,
            now: Now::Written(Written::new(text)),
        });
    }
}

/// Whether `key` names an intrinsic function.
fn is_intrinsic_key(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.items.len()))?;
        for (key, node) in &self.items {
            map.serialize_entry(key, node)?;
        }
        map.end()
    }
}

/// A list of the template opened item by item by a pass.
#[derive(Debug, Clone, Default)]
pub struct Items<'a> {
    items: Vec<Node<'a>>,
    /// The text it was opened from: what it was as received.
    opened_from: Option<Cow<'a, RawValue>>,
    /// The whole list as a value, when asked for (until it changes).
    whole: OnceCell<Box<Value>>,
}

impl<'a> Items<'a> {
    /// The items of a list read from `raw`, each as written.
    pub(super) fn read(items: Vec<&'a RawValue>, raw: &'a RawValue) -> Self {
        Items {
            items: items
                .into_iter()
                .map(|item| Node::Value(Slot::received(Cow::Borrowed(item))))
                .collect(),
            opened_from: Some(Cow::Borrowed(raw)),
            whole: OnceCell::new(),
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Item `at`, parsed on first access.
    pub fn get(&self, at: usize) -> Option<&Value> {
        self.items.get(at).map(Node::value)
    }

    /// Whether item `at` may hold the string `wanted` looks for: `false`
    /// only when its text shows it does not (no need to parse it to know).
    pub fn may_hold(&self, at: usize, wanted: &StringSearch) -> bool {
        self.items.get(at).is_some_and(|item| item.may_hold(wanted))
    }

    /// Item `at` as a pass opened it, when it is an opened mapping (see
    /// [`Items::get`]).
    pub fn mapping(&self, at: usize) -> Option<&Entries<'a>> {
        match self.items.get(at)? {
            Node::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// Item `at` as a mapping, opened one level to change; `None` when
    /// absent or not a mapping.
    pub fn mapping_mut(&mut self, at: usize) -> Option<&mut Entries<'a>> {
        self.whole = OnceCell::new();
        self.items.get_mut(at)?.open_mapping()
    }

    /// Adds an item at the end.
    pub fn push(&mut self, value: Value) {
        self.whole = OnceCell::new();
        self.items.push(Node::Value(Slot::given(value)));
    }

    /// The whole list as a value (everything parsed).
    pub fn to_value(&self) -> Value {
        Value::Array(self.items.iter().map(|item| item.value().clone()).collect())
    }

    fn as_received(&self) -> Cow<'a, RawValue> {
        match &self.opened_from {
            Some(raw) => raw.clone(),
            None => Cow::Owned(to_raw(&Value::Array(Vec::new()))),
        }
    }
}

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.items)
    }
}

/// A mapping as it was received, whatever passes changed since.
struct Received<'t, 'a>(&'t Entries<'a>);

impl Serialize for Received<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(raw) = &self.0.opened_from {
            return raw.serialize(serializer);
        }
        let received = &self.0.items[..self.0.received];
        let mut map = serializer.serialize_map(Some(received.len()))?;
        for (key, node) in received {
            match node {
                Node::Mapping(entries) => map.serialize_entry(key, &Received(entries))?,
                node => map.serialize_entry(key, &node.received())?,
            }
        }
        map.end()
    }
}

/// A JSON string to look for in values kept as written ([`Items::may_hold`]).
pub struct StringSearch(String);

impl StringSearch {
    /// Looks for the JSON string `text` (as written without escapes).
    pub fn new(text: &str) -> Self {
        StringSearch(format!("\"{text}\""))
    }
}

/// A template (a macro event's fragment): its sections, its resources and
/// their properties read entry by entry, every value parsed when a pass
/// first asks for it.
#[derive(Debug, Clone, Default)]
pub struct Template<'a> {
    sections: Entries<'a>,
}

/// The key of the section of resources.
const RESOURCES: &str = "Resources";
/// The key of a resource's properties.
pub const PROPERTIES: &str = "Properties";

impl<'a> Template<'a> {
    /// The template whose sections were read as `sections`.
    pub(super) fn from_sections(sections: Entries<'a>) -> Self {
        Template { sections }
    }

    /// A template given as a value, as if it had been received (tests).
    pub fn from_value(template: Value) -> Template<'static> {
        fn mapping(map: Map<String, Value>, expand: &[&str], then: &[&str]) -> Entries<'static> {
            let mut entries = Entries::default();
            for (key, value) in map {
                match value {
                    Value::Object(inner) if expand.contains(&key.as_str()) => {
                        entries.put_received_mapping(Cow::Owned(key), mapping(inner, then, &[]))
                    }
                    value => entries.put_received_parsed(Cow::Owned(key), value),
                }
            }
            entries
        }
        let Value::Object(sections) = template else {
            return Template::default();
        };
        let mut entries = Entries::default();
        for (key, value) in sections {
            match value {
                Value::Object(resources) if key == RESOURCES => {
                    let mut map = Entries::default();
                    for (id, resource) in resources {
                        match resource {
                            Value::Object(resource) => map.put_received_mapping(
                                Cow::Owned(id),
                                mapping(resource, &[PROPERTIES], &[]),
                            ),
                            other => map.put_received_parsed(Cow::Owned(id), other),
                        }
                    }
                    entries.put_received_mapping(Cow::Owned(key), map);
                }
                value => entries.put_received_parsed(Cow::Owned(key), value),
            }
        }
        Template { sections: entries }
    }

    /// A section other than `Resources` (see [`Template::resources`]).
    pub fn section(&self, name: &str) -> Option<&Value> {
        self.sections.get(name)
    }

    /// The resources, when `Resources` is a mapping.
    pub fn resources(&self) -> Option<&Entries<'a>> {
        self.sections.mapping(RESOURCES)
    }

    /// [`Template::resources`], to change.
    pub fn resources_mut(&mut self) -> Option<&mut Entries<'a>> {
        self.sections.mapping_mut(RESOURCES)
    }

    /// The resource `id`, when it is a mapping.
    pub fn resource(&self, id: &str) -> Option<&Entries<'a>> {
        self.resources()?.mapping(id)
    }

    /// [`Template::resource`], to change.
    pub fn resource_mut(&mut self, id: &str) -> Option<&mut Entries<'a>> {
        self.resources_mut()?.mapping_mut(id)
    }

    /// The `Type` of resource `id`.
    pub fn resource_type(&self, id: &str) -> Option<&str> {
        self.resource(id)?.str("Type")
    }

    /// Whether a resource `id` exists (a mapping or not).
    pub fn contains(&self, id: &str) -> bool {
        self.resources().is_some_and(|r| r.contains_key(id))
    }

    /// The resources that are mappings, with their ids, in order.
    pub fn each_resource(&self) -> impl Iterator<Item = (&str, &Entries<'a>)> {
        self.resources().into_iter().flat_map(|resources| {
            resources.items.iter().filter_map(|(id, node)| match node {
                Node::Mapping(resource) => Some((id.as_ref(), &**resource)),
                _ => None,
            })
        })
    }

    /// The resources of one of `types`, with their ids, in order.
    pub fn resources_of_types<'t>(
        &'t self,
        types: &'t [&str],
    ) -> impl Iterator<Item = (&'t str, &'t Entries<'a>)> {
        self.each_resource()
            .filter(|(_, resource)| resource_type(resource).is_some_and(|t| types.contains(&t)))
    }

    /// The ids of the resources of one of `types`, in order.
    pub fn ids_of_types(&self, types: &[&str]) -> Vec<String> {
        self.resources_of_types(types)
            .map(|(id, _)| id.to_string())
            .collect()
    }

    /// Adds a resource (a resource the transform declares).
    pub fn insert_resource(&mut self, id: String, resource: Value) {
        if let Some(resources) = self.resources_mut() {
            resources.put(Cow::Owned(id), resource_node(resource));
        }
    }

    /// A logical id for a new resource: `base` itself when free, otherwise
    /// `base2`, `base3`... Deterministic, readable, never colliding.
    pub fn unique_logical_id(&self, base: &str) -> String {
        if !self.contains(base) {
            return base.to_string();
        }
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|candidate| !self.contains(candidate))
            .unwrap_or_else(|| base.to_string())
    }

    /// The template as received, whatever the passes changed: a failed
    /// transform's answer.
    pub fn received(&self) -> impl Serialize + '_ {
        Received(&self.sections)
    }

    /// The whole template as a value (everything parsed).
    pub fn to_value(&self) -> Value {
        self.sections.to_value()
    }

    /// Every value a pass read or changed (what a message about the
    /// transform may quote), as received, whose text may name one of
    /// `names` (the keys of secrets), with its key.
    pub fn each_read_naming(&self, names: &[&str], mut found: impl FnMut(&str, &Value)) {
        let finders: Vec<memchr::memmem::Finder<'_>> =
            names.iter().map(memchr::memmem::Finder::new).collect();
        let may_name = |text: &str| {
            memchr::memchr(b'\\', text.as_bytes()).is_some()
                || finders.iter().any(|f| f.find(text.as_bytes()).is_some())
        };
        self.sections.read_with_secrets(&may_name, &mut found);
    }

    /// Writes every value the passes changed in resource `id` to text:
    /// called once its passes are done, so that the values they built are
    /// freed while they are fresh (a 500-function template's would
    /// otherwise all be held until the answer is written: peak memory 30%
    /// less on functions-500, 13.7 MB to 9.6 MB). A value read again is
    /// parsed again.
    pub fn settle(&mut self, id: &str) {
        let Some(resource) = self.resource_mut(id) else {
            return;
        };
        for (_, node) in &mut resource.items {
            match node {
                // `Properties`, read entry by entry, stays so for the passes
                // that look properties up later.
                Node::Mapping(entries) if entries.opened_from.is_none() => {
                    entries.items.iter_mut().for_each(|(_, node)| node.settle());
                }
                node => node.settle(),
            }
        }
    }
}

impl Serialize for Template<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.sections.serialize(serializer)
    }
}

impl<'a> Template<'a> {
    /// The template written with its section `name` given `value` instead,
    /// in its place, or last when it has none: a section the answer alone
    /// changes (`Metadata`), without taking it out of the template, which
    /// still holds it as received.
    pub fn with_section<'t>(&'t self, name: &'t str, value: &'t Value) -> impl Serialize + 't {
        WithSection {
            sections: &self.sections,
            name,
            value,
        }
    }
}

/// See [`Template::with_section`].
struct WithSection<'t, 'a> {
    sections: &'t Entries<'a>,
    name: &'t str,
    value: &'t Value,
}

impl Serialize for WithSection<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, node) in &self.sections.items {
            if key == self.name {
                map.serialize_entry(key, self.value)?;
            } else {
                map.serialize_entry(key, node)?;
            }
        }
        if !self.sections.contains_key(self.name) {
            map.serialize_entry(self.name, self.value)?;
        }
        map.end()
    }
}

/// A resource given as a value: a mapping read entry by entry, its
/// `Properties` too, as a resource read from an event.
fn resource_node<'a>(resource: Value) -> Node<'a> {
    match resource {
        Value::Object(map) => Node::Mapping(Box::new(Entries::from_map(map, &[PROPERTIES]))),
        other => Node::Value(Slot::given(other)),
    }
}

/// The `Type` of a resource.
pub fn resource_type<'r>(resource: &'r Entries<'_>) -> Option<&'r str> {
    resource.str("Type")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Template<'_> {
        super::super::read::fragment(text).expect("a template")
    }

    #[test]
    fn values_are_parsed_on_first_access_and_written_as_received_until_changed() {
        let text = r#"{"Description": "d", "Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1.50, "Name": "q"}},
            "F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12"}}
        }}"#;
        let mut template = read(text);
        assert_eq!(template.resource_type("Q"), Some("AWS::SQS::Queue"));
        assert_eq!(template.ids_of_types(&["AWS::Lambda::Function"]), ["F"]);
        let props = template
            .resource_mut("F")
            .and_then(|f| f.mapping_mut(PROPERTIES))
            .unwrap();
        assert_eq!(props.get("Runtime"), Some(&json!("python3.12")));
        props.insert("Handler", json!("a.b"));
        *props.get_mut("Runtime").unwrap() = json!("python3.13");
        let written = serde_json::to_string(&template).unwrap();
        // An untouched value as written (1.50), a changed one as a value.
        assert!(written.contains(r#""DelaySeconds":1.50"#), "{written}");
        assert!(
            written.contains(r#""Properties":{"Runtime":"python3.13","Handler":"a.b"}"#),
            "{written}"
        );
        let received: Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(template.received()).unwrap(), received);
    }

    #[test]
    fn settled_mappings_are_written_whole_keeping_what_was_not_changed_as_written() {
        let text = r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {
            "Environment": {"Variables": {"A": "\u00e9", "N": 1.50}}}}}}"#;
        let mut template = read(text);
        let props = template
            .resource_mut("F")
            .and_then(|f| f.mapping_mut(PROPERTIES))
            .unwrap();
        let vars = props
            .mapping_mut("Environment")
            .and_then(|env| env.mapping_mut("Variables"))
            .unwrap();
        vars.insert("DD_SITE", json!("datadoghq.com"));
        let made = props.mapping_or_insert("TracingConfig").unwrap();
        made.insert("Mode", json!("Active"));
        template.settle("F");
        let props = template.resource("F").and_then(|f| f.mapping(PROPERTIES));
        // Properties stays read entry by entry; what is below it is text again,
        // read back like a received value.
        let props = props.expect("Properties is still a mapping of entries");
        assert_eq!(
            props.get_in(&["Environment", "Variables", "DD_SITE"]),
            Some(&json!("datadoghq.com"))
        );
        assert_eq!(props.get("TracingConfig"), Some(&json!({"Mode": "Active"})));
        let written = serde_json::to_string(&template).unwrap();
        assert!(
            written.contains(r#"{"Variables":{"A":"\u00e9","N":1.50,"DD_SITE":"datadoghq.com"}}"#),
            "{written}"
        );
        // As received, TracingConfig (made by a pass) is not there.
        let received: Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(template.received()).unwrap(), received);
    }

    #[test]
    fn added_resources_and_properties_are_read_like_received_ones() {
        let mut template = read(r#"{"Resources": {"R": {"Type": "AWS::IAM::Role"}}}"#);
        template.insert_resource(
            "G".into(),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/g"}}),
        );
        assert_eq!(template.unique_logical_id("G"), "G2");
        let name = template
            .resource("G")
            .and_then(|g| g.mapping(PROPERTIES))
            .and_then(|p| p.get("LogGroupName"));
        assert_eq!(name, Some(&json!("/g")));
        let role = template.resource_mut("R").unwrap();
        role.mapping_or_insert(PROPERTIES)
            .unwrap()
            .or_insert_with("Policies", || json!([]));
        assert_eq!(
            template.to_value(),
            json!({"Resources": {
                "R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": []}},
                "G": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/g"}}
            }})
        );
        assert_eq!(
            serde_json::to_value(template.received()).unwrap(),
            json!({"Resources": {"R": {"Type": "AWS::IAM::Role"}}})
        );
    }

    #[test]
    fn many_keys_are_indexed_and_a_key_given_twice_keeps_its_last_value() {
        let resources: Vec<String> = (0..40)
            .map(|n| format!(r#""R{n}": {{"Type": "T{n}"}}"#))
            .collect();
        let text = format!(
            r#"{{"Resources": {{{}, "R3": {{"Type": "again"}}}}}}"#,
            resources.join(",")
        );
        let template = read(&text);
        assert_eq!(template.resources().unwrap().len(), 40);
        assert_eq!(template.resource_type("R39"), Some("T39"));
        assert_eq!(template.resource_type("R3"), Some("again"));
        assert_eq!(
            template.resources().unwrap().keys().nth(3),
            Some("R3"),
            "in its first place"
        );
    }

    #[test]
    fn a_mapping_changed_as_a_value_keeps_its_received_form() {
        let text = r#"{"Resources": {"R": {"Type": "T", "Properties": {"A": 1}}}}"#;
        let mut template = read(text);
        let resource = template.resource_mut("R").unwrap();
        *resource.get_mut(PROPERTIES).unwrap() = json!("replaced");
        assert_eq!(
            template.to_value(),
            json!({"Resources": {"R": {"Type": "T", "Properties": "replaced"}}})
        );
        assert_eq!(
            serde_json::to_value(template.received()).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }
}
