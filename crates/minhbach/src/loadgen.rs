//! Load generation shared by the benchmark programs (`bench`, `soak`): plausible reports and
//! readable transport errors. The server itself is `src/main.rs`.

use rand::seq::SliceRandom;
use rand::Rng;

const WARDS: &[&str] = &[
    "Bến Nghé",
    "Tân Định",
    "Phúc Xá",
    "Hàng Bạc",
    "Vĩnh Tuy",
    "Thảo Điền",
    "Hòa Cường Bắc",
    "An Hải Bắc",
];

const DISTRICTS: &[&str] = &[
    "Quận 1",
    "Ba Đình",
    "Hoàn Kiếm",
    "Hai Bà Trưng",
    "Thủ Đức",
    "Hải Châu",
    "Sơn Trà",
];

const OFFICIALS: &[&str] = &[
    "Cán bộ địa chính",
    "Phó chủ tịch UBND",
    "Cán bộ tư pháp - hộ tịch",
    "Trưởng công an",
    "Cán bộ phụ trách trật tự xây dựng",
];

const DEEDS: &[&str] = &[
    "đòi tôi đưa {amount} triệu đồng \"phí bôi trơn\" thì mới nhận hồ sơ cấp giấy chứng nhận quyền sử dụng đất",
    "nhận phong bì {amount} triệu đồng của một hộ dân để bỏ qua việc xây dựng sai phép",
    "yêu cầu nộp thêm {amount} triệu đồng ngoài lệ phí, không có biên lai, để chứng thực hợp đồng chuyển nhượng đất",
    "gợi ý gia đình tôi \"cảm ơn\" {amount} triệu đồng thì hồ sơ tách thửa sẽ được ký ngay trong tuần",
    "thu {amount} triệu đồng tiền mặt của nhiều hộ dân để \"hợp thức hóa\" phần đất lấn chiếm",
];

const WHENS: &[&str] = &[
    "Sáng thứ Hai tuần trước, khoảng 9 giờ",
    "Chiều thứ Năm vừa rồi",
    "Nhiều lần trong tháng trước",
    "Đầu tháng này, trong giờ hành chính",
];

const WHOS: &[&str] = &[
    "Một cán bộ nam khoảng 40 tuổi, ngồi ở bàn tiếp nhận hồ sơ số 3",
    "Người ký giấy hẹn trả kết quả, tôi không biết tên đầy đủ",
    "Ông N.V.T. và một nhân viên hợp đồng của phường",
    "Bà L.T.H., có người làm chứng là hàng xóm của tôi",
];

fn pick<'a>(rng: &mut impl Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

/// A plausible anonymous report, slightly different each time. Built without awaiting: the
/// thread-local generator must not live across an `.await`.
pub fn make_report(category: &str) -> serde_json::Value {
    let mut rng = rand::thread_rng();
    let ward = pick(&mut rng, WARDS);
    let district = pick(&mut rng, DISTRICTS);
    let official = pick(&mut rng, OFFICIALS);
    let amount = rng.gen_range(2..=80).to_string();
    let deed = pick(&mut rng, DEEDS).replace("{amount}", &amount);
    let tag: u64 = rng.gen();
    serde_json::json!({
        "category": category,
        "what": format!("{official} phường {ward} {deed}. #{tag}"),
        "when": pick(&mut rng, WHENS),
        "where": format!("Trụ sở UBND phường {ward}, {district}"),
        "who": pick(&mut rng, WHOS),
        "identity": "anonymous",
    })
}

/// The error and its causes on one line (reqwest's own message hides the cause).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
