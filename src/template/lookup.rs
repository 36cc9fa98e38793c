//! Looking a key up in a mapping of the template. serde_json's maps hash
//! every key looked up (SipHash), which costs more than comparing the keys
//! of a small mapping in turn: a resource (`Type`, `Properties`), a
//! function's properties, an intrinsic, a tag, an IAM statement. These
//! compare keys up to [`SMALL`] entries and hash past it.

use serde_json::{Map, Value};

/// The most entries a mapping has to be searched in order.
pub const SMALL: usize = 8;

/// The value of `key` in `map`.
pub fn get<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if map.len() <= SMALL {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// The value of `key` in `map`, mutably.
pub fn get_mut<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Value> {
    if map.len() <= SMALL {
        map.iter_mut()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    } else {
        map.get_mut(key)
    }
}

/// The value of `key` in `map`, inserted (at the end) from `default` when
/// absent: the key is allocated only then.
pub fn or_insert_with<'m>(
    map: &'m mut Map<String, Value>,
    key: &str,
    default: impl FnOnce() -> Value,
) -> &'m mut Value {
    if !has(map, key) {
        map.insert(key.to_string(), default());
    }
    get_mut(map, key).expect("the key is present")
}

/// Whether `map` has `key`.
pub fn has(map: &Map<String, Value>, key: &str) -> bool {
    get(map, key).is_some()
}

/// The value of `key` in `object`, when it is a mapping.
pub fn field<'v>(object: &'v Value, key: &str) -> Option<&'v Value> {
    get(object.as_object()?, key)
}

/// The value of `key` in `object`, mutably, when it is a mapping.
pub fn field_mut<'v>(object: &'v mut Value, key: &str) -> Option<&'v mut Value> {
    get_mut(object.as_object_mut()?, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_and_large_mappings_are_looked_up_alike() {
        for size in [0, 1, SMALL, SMALL + 1, 40] {
            let mut map: Map<String, Value> =
                (0..size).map(|n| (format!("k{n}"), json!(n))).collect();
            for n in 0..size + 2 {
                let key = format!("k{n}");
                assert_eq!(get(&map, &key), map.get(&key), "{size} {key}");
                assert_eq!(has(&map, &key), map.contains_key(&key));
                let object = Value::Object(map.clone());
                assert_eq!(field(&object, &key), map.get(&key));
                if let Some(value) = get_mut(&mut map, &key) {
                    *value = json!("changed");
                    assert_eq!(map[&key], "changed");
                }
            }
        }
        assert_eq!(field(&json!(["k0"]), "k0"), None);
        for size in [1, SMALL + 1] {
            let mut map: Map<String, Value> =
                (0..size).map(|n| (format!("k{n}"), json!(n))).collect();
            *or_insert_with(&mut map, "k0", || json!("unused")) = json!("kept in place");
            *or_insert_with(&mut map, "new", || json!([])) = json!("added");
            assert_eq!(map.keys().next().map(String::as_str), Some("k0"));
            assert_eq!(map["k0"], "kept in place");
            assert_eq!(
                map.iter().next_back(),
                Some((&"new".to_string(), &json!("added")))
            );
        }
        assert_eq!(field_mut(&mut json!("k0"), "k0"), None);
    }
}
