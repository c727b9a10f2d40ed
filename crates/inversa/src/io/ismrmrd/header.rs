//! The parts of the ISMRMRD XML header that reconstruction needs: the first `encoding`'s encoded
//! matrix and field of view, its trajectory kind, and the receiver channel count.

/// What an ISMRMRD XML header says about the first encoding.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// `encodedSpace/matrixSize` as `[x, y, z]`.
    pub matrix: [usize; 3],
    /// `encodedSpace/fieldOfView_mm` as `[x, y, z]`.
    pub field_of_view_mm: [f64; 3],
    /// `trajectory`: `cartesian`, `radial`, `spiral`, `epi`, `goldenangle` or `other`.
    pub trajectory: String,
    /// `acquisitionSystemInformation/receiverChannels`, when given.
    pub receiver_channels: Option<usize>,
}

impl Header {
    /// Parses the header's XML text; the message names the element that is missing or wrong.
    pub fn parse(xml: &str) -> Result<Self, String> {
        let document = roxmltree::Document::parse(xml).map_err(|e| format!("not XML: {e}"))?;
        let root = document.root_element();
        let encoding = child(root, "encoding").ok_or("no <encoding> element")?;
        let space = child(encoding, "encodedSpace").ok_or("no <encoding><encodedSpace>")?;
        let matrix = child(space, "matrixSize").ok_or("no <encodedSpace><matrixSize>")?;
        let fov = child(space, "fieldOfView_mm").ok_or("no <encodedSpace><fieldOfView_mm>")?;
        let matrix = [
            number::<usize>(matrix, "x")?,
            number::<usize>(matrix, "y")?,
            number::<usize>(matrix, "z")?,
        ];
        if matrix.contains(&0) {
            return Err(format!("matrixSize {matrix:?} has a zero"));
        }
        let field_of_view_mm = [
            number::<f64>(fov, "x")?,
            number::<f64>(fov, "y")?,
            number::<f64>(fov, "z")?,
        ];
        let trajectory = child(encoding, "trajectory")
            .and_then(|n| n.text())
            .ok_or("no <encoding><trajectory>")?
            .trim()
            .to_string();
        let receiver_channels = match child(root, "acquisitionSystemInformation")
            .and_then(|n| child(n, "receiverChannels"))
        {
            Some(node) => Some(parse(node, "receiverChannels")?),
            None => None,
        };
        Ok(Self {
            matrix,
            field_of_view_mm,
            trajectory,
            receiver_channels,
        })
    }
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn number<V: std::str::FromStr>(parent: roxmltree::Node, name: &str) -> Result<V, String> {
    let node =
        child(parent, name).ok_or_else(|| format!("no <{}><{name}>", parent.tag_name().name()))?;
    parse(node, name)
}

fn parse<V: std::str::FromStr>(node: roxmltree::Node, name: &str) -> Result<V, String> {
    let text = node.text().unwrap_or("").trim();
    text.parse()
        .map_err(|_| format!("<{name}> is {text:?}, not a number of the expected kind"))
}
