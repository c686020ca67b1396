"""Vietnamese-looking (fictional) enterprise names: legal form + trade + brand."""
from __future__ import annotations

import numpy as np

BRAND = ["An", "Bình", "Phát", "Thành", "Hưng", "Long", "Minh", "Phú", "Tân", "Thịnh", "Việt", "Hoà", "Đại",
         "Hoàng", "Kim", "Nam", "Phương", "Sơn", "Trường", "Thắng", "Lợi", "Đức", "Gia", "Hải", "Hồng", "Khang",
         "Lộc", "Mỹ", "Ngọc", "Quang", "Sao", "Thái", "Thiên", "Toàn", "Trung", "Vạn", "Vinh", "Xuân", "Đông",
         "Tiến", "Hạnh", "Cường", "Dũng", "Bảo", "Châu", "Hiệp", "Nhật", "Tín", "Phước", "Anh"]
FOREIGN = ["Sunrise", "Hanwoo", "Daesung", "Kyowa", "Shinwa", "Formtex", "Everpia", "Hwaseung", "Pouyuen",
           "Tae Kwang", "Fuji", "Kaneka", "Meiko", "Nidec", "Foxlink", "Luxtron", "Goertek", "Jinko", "Hyosung",
           "Samil", "Toyoda", "Yazaki", "Sumida", "Canon-Tech", "Brotech", "Dongwon", "Seojin", "Intops",
           "Chang Shin", "Feng Tai", "Ching Luh", "Far Eastern", "Texhong", "Crystal", "Nobland", "Youngone"]
TRADE = {
    "05": "Than", "06": "Dầu khí", "07": "Khoáng sản", "08": "Khai khoáng", "09": "Dịch vụ Dầu khí",
    "10": "Thực phẩm", "11": "Đồ uống", "12": "Thuốc lá", "13": "Dệt", "14": "May", "15": "Giày da",
    "16": "Chế biến Gỗ", "17": "Giấy", "18": "In", "19": "Lọc hoá dầu", "20": "Hoá chất", "21": "Dược phẩm",
    "22": "Nhựa", "23": "Vật liệu Xây dựng", "24": "Thép", "25": "Cơ khí", "26": "Điện tử", "27": "Thiết bị Điện",
    "28": "Máy móc", "29": "Ô tô", "30": "Xe máy", "31": "Nội thất", "32": "Sản xuất", "33": "Sửa chữa Cơ khí",
    "35": "Điện lực", "36": "Cấp nước", "37": "Thoát nước", "38": "Môi trường", "39": "Môi trường",
}
FOREIGN_TRADE = {"26": "Electronics", "27": "Electric", "13": "Textile", "14": "Garment", "15": "Footwear",
                 "22": "Plastic", "29": "Motor", "30": "Motor", "24": "Steel", "10": "Food", "11": "Beverage"}


def enterprise_names(divisions: np.ndarray, ownership: np.ndarray, provinces: np.ndarray,
                     province_names: dict[str, str], sizes: np.ndarray, rng: np.random.Generator) -> list[str]:
    """One distinct name per enterprise; the legal form follows ownership and size
    (Tổng công ty for the largest state firms, Công ty TNHH ... Việt Nam for FDI, TNHH or CP otherwise)."""
    n = len(divisions)
    b1 = rng.integers(0, len(BRAND), n)
    b2 = rng.integers(0, len(BRAND), n)
    fo = rng.integers(0, len(FOREIGN), n)
    form = rng.random(n)
    big = sizes >= np.quantile(sizes, 0.97) if n else sizes
    names, seen = [], set()
    for i in range(n):
        div, own = divisions[i], ownership[i]
        trade = TRADE.get(div, "Sản xuất")
        brand = f"{BRAND[b1[i]]} {BRAND[b2[i]]}" if b1[i] != b2[i] else BRAND[b1[i]]
        if own == "fdi":
            name = f"Công ty TNHH {FOREIGN[fo[i]]} {FOREIGN_TRADE.get(div, 'Industrial')} Việt Nam"
        elif own == "state" and big[i]:
            name = f"Tổng công ty {trade} {brand}"
        elif own == "state":
            name = f"Công ty TNHH MTV {trade} {province_names.get(provinces[i], brand)}"
        elif form[i] < 0.45:
            name = f"Công ty CP {trade} {brand}"
        else:
            name = f"Công ty TNHH {trade} {brand}"
        base, k = name, 2
        while name in seen:
            name = f"{base} {province_names.get(provinces[i], '')}".strip() if k == 2 else f"{base} {k}"
            k += 1
        seen.add(name)
        names.append(name)
    return names
