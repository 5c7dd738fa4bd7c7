//! Layered drawings of small directed graphs, as SVG, with no dependencies and nothing
//! Dockerfile-specific: [`layout`] places boxes and routes edges, [`svg`] writes a styled,
//! self-contained SVG document. Output is deterministic.

pub mod layout;
pub mod svg;

pub use layout::{layout, Layout, LayoutEdge, LayoutOptions, Point, Rect, Route, Size, TooLarge, MAX_PATH_NODES};
pub use svg::{render, Document, Edge, LegendItem, Line, Metrics, Node, Rendered};
