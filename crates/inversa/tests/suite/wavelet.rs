//! The orthogonal wavelet transform and the wavelet-L1 prior's task-file keys: the filter tables against
//! the conditions that define them, `W*W = WW* = I`, Haar's closed form, and agreement with PyWavelets.

use inversa::config::Section;
use inversa::operators::physics::BuildContext;
use inversa::operators::wavelet::{max_levels, Wavelet, WaveletFamily};
use inversa::operators::{random_vector, LinearOperator};
use inversa::real::Real;
use std::path::Path;

const FAMILIES: [WaveletFamily; 3] = [WaveletFamily::Haar, WaveletFamily::Db2, WaveletFamily::Db4];

#[test]
fn filters_are_orthonormal_with_the_expected_vanishing_moments() {
    for (family, moments) in FAMILIES.into_iter().zip([1, 2, 4]) {
        let (h, g) = (family.lowpass(), family.highpass());
        assert_eq!(h.len(), 2 * moments, "{family:?}: 2N taps for N moments");
        assert!((h.iter().sum::<f64>() - 2f64.sqrt()).abs() < 1e-14);
        // Σ_k h_k h_{k+2m} = δ_m: the even shifts are orthonormal; likewise g, and h ⟂ g.
        for m in 0..moments {
            let shifted = |a: &[f64], b: &[f64]| -> f64 {
                (0..a.len() - 2 * m).map(|k| a[k] * b[k + 2 * m]).sum()
            };
            let expected = if m == 0 { 1.0 } else { 0.0 };
            assert!(
                (shifted(h, h) - expected).abs() < 1e-14,
                "{family:?} h, shift {m}"
            );
            assert!(
                (shifted(&g, &g) - expected).abs() < 1e-14,
                "{family:?} g, shift {m}"
            );
            assert!(shifted(h, &g).abs() < 1e-14 && shifted(&g, h).abs() < 1e-14);
        }
        // Σ_k k^p g_k = 0 for p < N: the wavelet annihilates polynomials of degree < N.
        for p in 0..moments as i32 {
            let moment: f64 = g
                .iter()
                .enumerate()
                .map(|(k, v)| (k as f64).powi(p) * v)
                .sum();
            assert!(moment.abs() < 1e-12, "{family:?}: moment {p} is {moment:e}");
        }
    }
    let s3 = 3f64.sqrt();
    let closed_form = [1.0 + s3, 3.0 + s3, 3.0 - s3, 1.0 - s3].map(|v| v / (4.0 * 2f64.sqrt()));
    for (a, b) in WaveletFamily::Db2.lowpass().iter().zip(closed_form) {
        assert!((a - b).abs() < 1e-15);
    }
}

/// Largest entry of `|a − b|` over the largest entry of `|b|`.
fn relative_max_error<T: Real>(a: &[T], b: &[T]) -> f64 {
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((*x - *y).abs().to_f64().unwrap()));
    let scale = b
        .iter()
        .fold(0.0f64, |m, y| m.max(y.abs().to_f64().unwrap()));
    diff / scale
}

fn orthogonal_to_round_off<T: Real>(tolerance: f64) {
    let cases: [(&[usize], usize); 5] = [
        (&[1, 8, 8], 3),
        (&[3, 16, 12], 2),
        (&[2, 4, 24], 2),
        (&[32, 16], 4),
        (&[1, 6, 10], 1),
    ];
    for family in FAMILIES {
        for (shape, levels) in cases {
            let w = Wavelet::new(shape, family, levels).unwrap();
            let x = random_vector::<T>(shape.iter().product(), 3);
            let inverse = <Wavelet as LinearOperator<T>>::adjoint_new(&w, &w.apply_new(&x));
            let forward = w.apply_new(&<Wavelet as LinearOperator<T>>::adjoint_new(&w, &x));
            for (what, got) in [("W*W", inverse), ("WW*", forward)] {
                let error = relative_max_error(&got, &x);
                assert!(
                    error < tolerance,
                    "{family:?} {shape:?} L={levels} {}: {what} x differs from x by {error:e}",
                    T::NAME
                );
            }
        }
    }
}

#[test]
fn adjoint_is_the_inverse_f64() {
    orthogonal_to_round_off::<f64>(1e-12);
}

#[test]
fn adjoint_is_the_inverse_f32() {
    orthogonal_to_round_off::<f32>(1e-5);
}

#[test]
fn haar_level_one_matches_the_closed_form() {
    let (h, w) = (6, 8);
    let x = random_vector::<f64>(2 * h * w, 17);
    let c = Wavelet::new(&[2, h, w], WaveletFamily::Haar, 1)
        .unwrap()
        .apply_new(&x);
    let (hh, hw) = (h / 2, w / 2);
    for ch in 0..2 {
        let at = |i: usize, j: usize| x[ch * h * w + i * w + j];
        let coef = |i: usize, j: usize| c[ch * h * w + i * w + j];
        for i in 0..hh {
            for j in 0..hw {
                let (a, b) = (at(2 * i, 2 * j), at(2 * i, 2 * j + 1));
                let (p, q) = (at(2 * i + 1, 2 * j), at(2 * i + 1, 2 * j + 1));
                let expected = [
                    (coef(i, j), (a + b + p + q) / 2.0),
                    (coef(i, hw + j), (a - b + p - q) / 2.0),
                    (coef(hh + i, j), (a + b - p - q) / 2.0),
                    (coef(hh + i, hw + j), (a - b - p + q) / 2.0),
                ];
                for (got, want) in expected {
                    assert!((got - want).abs() < 1e-14, "channel {ch} ({i}, {j})");
                }
            }
        }
    }
}

/// The 8×12 image of `tools/wavelet_reference.py`.
fn reference_image() -> Vec<f64> {
    (0..96)
        .map(|k| {
            let (i, j) = ((k / 12) as f64, (k % 12) as f64);
            (0.7 * i + 1.3 * j).sin() + 0.05 * i * j
        })
        .collect()
}

#[test]
fn coefficients_match_pywavelets_periodization() {
    let x = reference_image();
    let cases = [
        (WaveletFamily::Db2, &PYWT_DB2_LEVEL2),
        (WaveletFamily::Db4, &PYWT_DB4_LEVEL2),
        (WaveletFamily::Haar, &PYWT_HAAR_LEVEL2),
    ];
    for (family, reference) in cases {
        let c = Wavelet::new(&[8, 12], family, 2).unwrap().apply_new(&x);
        let error = relative_max_error(&c, reference);
        assert!(
            error < 1e-13,
            "{family:?}: differs from PyWavelets by {error:e}"
        );
    }
}

#[test]
fn level_count_must_divide_the_image() {
    assert_eq!(max_levels(12, 10, 4), 1);
    assert_eq!(max_levels(16, 48, 9), 4);
    assert_eq!(max_levels(64, 64, 3), 3);
    assert_eq!(max_levels(7, 8, 4), 0);
    for (shape, levels) in [
        (&[1, 12, 10][..], 2),
        (&[9, 8][..], 1),
        (&[8, 8][..], 0),
        (&[8][..], 1),
    ] {
        assert!(
            matches!(
                Wavelet::new(shape, WaveletFamily::Haar, levels),
                Err(inversa::Error::Shape(_))
            ),
            "{shape:?} with {levels} levels should be refused"
        );
    }
}

/// Builds `[prior]` from TOML text for an image of `shape`.
fn prior_from(
    text: &str,
    shape: &[usize],
) -> inversa::Result<Box<dyn inversa::priors::Prior<f64>>> {
    let table: toml::Table = text.parse().unwrap();
    let mut section = Section::new(&table, "prior", Path::new("."));
    let ctx = BuildContext {
        image_shape: shape.to_vec(),
        seed: 0,
        raw: None,
    };
    let prior = inversa::priors::wavelet::from_config::<f64>(&mut section, &ctx)?;
    section.finish()?;
    Ok(prior)
}

#[test]
fn task_keys_are_read_and_levels_lowered_to_what_the_image_allows() {
    // 24×40 allows 3 levels of the default 4; the prior penalises exactly the non-approximation part.
    let prior = prior_from("weight = 0.5\nwavelet = \"db2\"", &[1, 24, 40]).unwrap();
    let reference = Wavelet::new(&[1, 24, 40], WaveletFamily::Db2, 3).unwrap();
    let x = random_vector::<f64>(960, 4);
    let c = reference.apply_new(&x);
    let expected: f64 = 0.5
        * c.iter()
            .enumerate()
            .filter(|(k, _)| (k / 40) >= 3 || (k % 40) >= 5)
            .map(|(_, v)| v.abs())
            .sum::<f64>();
    assert!((prior.value(&x) - expected).abs() < 1e-12 * expected);
    // Defaults: db4 and weight 0.01.
    let default = prior_from("", &[2, 16, 16]).unwrap();
    let db4 = Wavelet::new(&[2, 16, 16], WaveletFamily::Db4, 4).unwrap();
    let c = db4.apply_new(&random_vector::<f64>(512, 5));
    let x = <Wavelet as LinearOperator<f64>>::adjoint_new(&db4, &c);
    let expected: f64 = 0.01
        * c.iter()
            .enumerate()
            .filter(|(k, _)| k % 256 != 0)
            .map(|(_, v)| v.abs())
            .sum::<f64>();
    assert!((default.value(&x) - expected).abs() < 1e-10 * expected);
}

#[test]
fn bad_keys_are_refused_with_their_dotted_name() {
    let message = |text: &str, shape: &[usize]| prior_from(text, shape).err().unwrap().to_string();
    let odd = message("levels = 2", &[1, 9, 8]);
    assert!(
        odd.starts_with("prior.levels:") && odd.contains("1×9×8"),
        "{odd}"
    );
    assert!(message("wavelet = \"db3\"", &[8, 8]).starts_with("prior.wavelet:"));
    assert!(message("levels = 0", &[8, 8]).starts_with("prior.levels:"));
    assert!(message("weight = -1", &[8, 8]).starts_with("prior.weight:"));
    assert!(message("threshold = 1", &[8, 8]).starts_with("prior.threshold:"));
}

// PyWavelets 1.9.0 (mode="periodization", Mallat layout), printed by `python3 tools/wavelet_reference.py`.
#[rustfmt::skip]
const PYWT_DB2_LEVEL2: [f64; 96] = [
    4.014080706296127, 1.873422554641656, 5.719693316458787, 0.3140190339368426, 0.4489565251951778, 1.932248933704794, 0.0033944184963381474, -0.10907458775110068, -0.3732958369882058, 0.7488205965403837, -0.910016057944754, 2.2770951736216287,
    4.053679241918511, 2.2713279503288386, 5.097546184136594, -3.668424155863346, -0.7464163346102554, 2.9383477080400016, 0.6025265937830996, -1.0715346538160804, 0.9945668214775413, -0.6329315937799309, 0.09013710724627301, -0.0630380307731099,
    0.3947420554145562, -0.872497108043487, -2.5129796456691538, 0.3439113351340156, 2.0596373555895635, -0.4696745840981721, -0.5873250444133373, -0.03611352881301784, 0.5882678487549867, -0.9720466783203688, 1.077603884049747, -0.15113568239937403,
    0.4666161195075845, 1.4977252125672587, 4.1405744201031505, -0.8844949649597745, -2.455655435790968, 1.128603514053994, -1.5929541099067406, 1.125783712522699, -0.8578539039850328, 0.3443870121941367, 0.2676511888740495, 2.8337740526112944,
    0.09706883665435725, -0.008668346167324786, -0.5744131726838485, 0.005125560291341585, -0.9660648226361155, -0.5500626697385063, 0.2958349215975977, -0.24886076472910396, 0.14351207092637902, 0.002913005630102107, -0.1485043144522485, -0.21539587946397853,
    0.17259654820963577, -0.2970299142174345, 0.18504832903416624, -0.020101749740751573, -0.15059840248239068, 0.21066104990666173, 0.06644585570592976, -0.13253898662324556, 0.20126353285167978, -0.212381928904566, 0.1627118397425724, -0.3185060065208171,
    -0.22409766033829698, -0.1832927496133432, 0.2961447242303738, -0.32423341751176815, 0.2595192136340509, -0.10898980871007564, -0.1417124220726017, 0.145108397856536, -0.042107036920430434, -0.07294630510691999, 0.1671207738123096, -0.1704124437474317,
    0.41975041656064715, 0.8355079041320733, 0.9561252455729394, 1.2130199402727457, 2.6813880167379316, 2.385904030828983, -0.5936130027293698, 0.4301420510570879, -0.4516648023021389, 0.34391092771353615, -0.13772200993468114, 1.5663907778601582,
];
#[rustfmt::skip]
const PYWT_DB4_LEVEL2: [f64; 96] = [
    3.252482745584921, 4.622314828315039, 1.2677524686485069, 3.7673331964951013, 0.38415612504777497, -1.404601078421534, 0.23639739491389844, -0.7603567666104384, 0.988371680794933, -0.9892186577550656, 2.6825773387290246, 0.5011542274570687,
    6.130890830049504, 5.8401713164783775, 1.916137764704166, -0.6686668646961426, -1.0229783160422772, -3.7849520998784505, -0.7991994870921996, 0.7736593168355845, -0.5489169709097331, 0.1289314097665655, 0.6158412234293873, 0.9550272251631647,
    1.5456939786259745, -0.32667751607827433, 0.20905723982074126, 0.4277952801159199, 1.8375204276960841, -1.4352373237373823, -0.0494265376297892, 0.39756537837838024, -0.7931853149213228, 0.9462241687922486, -1.061343244121746, 0.32947763007892755,
    -4.415655295764188, -2.1621830691764683, -1.0713103823021066, -0.8263529841842014, -2.012094864312987, 3.245850800635918, 0.8123565493799718, -0.7644113398011766, 0.35426988404607784, 0.1537944802583063, -0.12732223842869428, -0.3855786494722512,
    -0.1668831309147665, -0.1661218581752549, 0.09548762443802117, -0.07916348219884624, -0.06481015424053099, 0.02403621335532192, 0.02873374565570063, -0.054602905874413764, 0.07383951049621099, -0.07063552002382313, 0.07682041657803547, -0.04029005426811802,
    -0.06669924091390883, -0.019605969214337417, 0.08889140866685376, -0.1494663482401857, 0.0791286598185638, -0.11902524907608593, -0.047704566861409524, 0.029158131697576584, 0.005506648539197138, -0.03987937297566842, 0.08547732776185173, 0.03904534909507633,
    1.4496570969072329, 0.18834078792968298, 0.38135456181832184, 0.40740843763024875, 0.8726994680100844, 0.960543187351523, -0.03904105858544847, -0.012453185338192929, 0.033853818366031484, -0.05838618279514758, 0.3643131273837259, 0.1841911480617403,
    0.8588975094836144, 0.037367489953564544, 0.04315270031933008, 0.5651910585354923, 0.22603034931471516, 0.8638959816673957, 0.12554746838385278, -0.1232866264263502, 0.05688196171012451, 0.023058297436880495, 0.029449400762229884, -0.030608627533308196,
];
#[rustfmt::skip]
const PYWT_HAAR_LEVEL2: [f64; 96] = [
    0.5363652489727055, 2.225725794384967, 3.303109016561316, 1.8824203381897449, 0.4476606832362372, -1.7818373490457295, -0.6393189625025921, 0.9946064202478273, -1.158059586243679, 0.8972056124503351, -0.4723956489611507, -0.1804690126483136,
    1.3656641113476402, 5.438007382182265, 10.160878400331622, -3.052111566777529, -1.1097563702078292, 0.8429695225900362, 0.7134101592151676, -0.44752140622460135, -0.4106802277859718, 0.6871137547239561, -1.2311020579724017, 0.9584990723856393,
    0.21032065819796658, -0.9251726831439167, -2.2465016331063916, -0.06203294587984999, -1.546757263090708, -1.1747368510661804, 0.6743233211832682, -1.3542425041281543, 0.810947082043937, -0.8711403032494992, -0.15360636413814088, 0.2987874959852097,
    -0.7564669977645526, -1.1022813557860327, -1.4456707086732954, 1.0626776557604747, 2.0567911331348547, 1.0771975462323198, -0.8576993283250154, -0.38634683791175073, 0.3128341592476709, -1.3567589972359824, 0.8053712025898014, -1.2304457440266834,
    -0.31997846432308996, 0.3645859552071014, -0.7690629333256275, 0.11781686217619677, -0.6398266446761937, -0.5996517906821622, -0.32423922291460117, 0.208661110757611, 0.05948494243571034, -0.21776062942508215, 0.4065527637945291, -0.3861359147996586,
    0.37758067280012336, -0.27986559088440127, -0.3621755065747641, 0.0649538885276072, -0.956118696248826, -0.004734613488414273, -0.25534030946053726, 0.4229863531405738, -0.37671975054042256, 0.3154719193479601, -0.07108449117709598, -0.10080447962229719,
    0.4068294378084777, -0.6672300792394599, 0.2724322754688149, -0.6352581655844448, -0.39071881000843417, -0.27349216672731014, 0.2789419400370473, -0.023371904044431346, -0.14604325892761666, 0.3665019938737265, -0.38921517667931876, 0.39337065886875167,
    -0.28078704127107523, -0.15445700384140376, 0.0812697918703652, -0.8204212764593231, 0.11777204808500064, -0.9597692508348075, 0.3916638814818201, -0.3894296217947281, 0.3685762824758767, -0.14938368296105398, -0.019721449075108394, 0.2760262964547,
];
