// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ERC1363Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC1363Upgradeable.sol";
import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {BasketMath} from "./libraries/BasketMath.sol";
import {FeeMath} from "./libraries/FeeMath.sol";

/**
 * @title IndexToken
 * @notice An SSI index token (MAG7.ssi, DEFI.ssi, MEME.ssi): ERC-20 with a tokenset and a
 * management fee; only the issuer mints and burns. See {IIndexToken} for the basket model.
 * It also speaks ERC-1363 (`transferAndCall` and friends), so a holder stakes into the index's
 * sToken in one transaction, without an approval (see IStakeToken).
 * @dev The tokenset is written once per change as the code of a small data contract (one 32-byte
 * entry `asset << 96 | unitAmount` per asset behind a STOP byte) and read back with EXTCODECOPY:
 * one account access instead of one cold storage read per asset, the largest per-asset cost of a
 * mint or redeem after the transfers themselves. Tokensets change rarely (rebalances), so the
 * extra cost of writing falls where it does not matter. The aggregate basket is a view, so mints
 * and burns write no per-asset state.
 *
 * The fee lives here because the basket views need it: one storage word (`feeAccrual`) holds the
 * factor, the pending fee units, the time of the last accrual and the rate in force, so an accrual
 * is one read and one write whatever the number of assets or the time elapsed. The fee basket is
 * materialized per asset only when the tokenset changes or fees are taken (both rare).
 */
contract IndexToken is IIndexToken, ERC20Upgradeable, ERC1363Upgradeable, ProtocolUpgradeable {
    using SafeCast for uint256;

    /// @inheritdoc IIndexToken
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @inheritdoc IIndexToken
    bytes32 public constant REBALANCER_ROLE = keccak256("REBALANCER_ROLE");

    /// @dev Most assets a tokenset may hold; bounds every loop over it.
    uint256 public constant MAX_ASSETS = 32;
    /**
     * @dev Most assets the materialized fee basket may hold for a tokenset change to add to it. One
     * change adds at most MAX_ASSETS, and a fee sale never leaves the basket larger than this or
     * than it was, so every loop over it is bounded by MAX_FEE_ASSETS + MAX_ASSETS (96).
     */
    uint256 public constant MAX_FEE_ASSETS = 64;
    /// @dev Hard cap on any index's annual fee rate: 10% (continuously compounded), in ppm.
    uint256 public constant MAX_FEE_RATE_PPM = 100_000;

    /// @custom:storage-location erc7201:ssi.storage.IndexToken
    struct IndexTokenStorage {
        /// @dev Data contract whose code is `0x00` followed by the packed entries, ascending by asset.
        address tokensetData;
        /// @dev Number of entries in `tokensetData`.
        uint96 tokensetLength;
        /// @dev The hot fee word: factor (bits 0-95, 0 reads as 1e27), pending fee units (96-191),
        /// time of the last accrual (192-231) and the rate in force, zero while rebalancing (232-255).
        uint256 feeAccrual;
        /// @dev The configured annual rate (ppm); in force whenever the basket is not frozen.
        uint24 feeRatePpm;
        /// @dev The most `feeRatePpm` may be; fixed at creation.
        uint24 maxFeeRatePpm;
        /// @dev The basket is frozen for a rebalance.
        bool rebalancing;
        /// @dev Assets with a non-zero materialized fee balance, ascending.
        address[] feeAssets;
        /// @dev Materialized fee basket: amount of each asset the fee has taken and nobody has sold yet.
        mapping(address asset => uint256) feeBalances;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.IndexToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant INDEX_TOKEN_STORAGE_LOCATION = 0xa59e731c0a69e66b34db2eac4eb2835b7606c96f85b6e0759c6ee2282966e200;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice ERC-165: the access-control interfaces and ERC-1363.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(AccessControlDefaultAdminRulesUpgradeable, ERC1363Upgradeable)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IIndexToken
    function initialize(
        string memory name_,
        string memory symbol_,
        Roles memory roles,
        address[] memory assets,
        uint256[] memory unitAmounts,
        uint24 maxFeeRatePpm,
        uint24 feeRatePpm
    ) external initializer {
        __ERC20_init(name_, symbol_);
        __ERC1363_init();
        __ProtocolUpgradeable_init(roles.admin);
        _grantRole(ISSUER_ROLE, roles.issuer);
        _grantRole(UPGRADER_ROLE, roles.manager);
        _grantRole(OPERATOR_ROLE, roles.manager);
        if (roles.rebalancer != address(0)) _grantRole(REBALANCER_ROLE, roles.rebalancer);
        if (maxFeeRatePpm > MAX_FEE_RATE_PPM) revert FeeRateAboveMax(maxFeeRatePpm, MAX_FEE_RATE_PPM);
        if (feeRatePpm > maxFeeRatePpm) revert FeeRateAboveMax(feeRatePpm, maxFeeRatePpm);
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        $.maxFeeRatePpm = maxFeeRatePpm;
        $.feeRatePpm = feeRatePpm;
        $.feeAccrual = _packFee(FeeMath.FACTOR_UNIT, 0, block.timestamp, feeRatePpm);
        emit FeeRateSet(feeRatePpm);
        _setTokenset(assets, unitAmounts);
    }

    /// @inheritdoc IIndexToken
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) whenNotPaused {
        _accrue(_getIndexTokenStorage());
        _mint(to, amount);
    }

    /// @inheritdoc IIndexToken
    function burn(address from, uint256 amount) external onlyRole(ISSUER_ROLE) whenNotPaused {
        _accrue(_getIndexTokenStorage());
        _burn(from, amount);
    }

    /// @inheritdoc IIndexToken
    function accrueFee() external returns (uint256 factor) {
        return _accrue(_getIndexTokenStorage());
    }

    /// @inheritdoc IIndexToken
    function setFeeRate(uint24 ratePpm) external onlyRole(OPERATOR_ROLE) {
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        if ($.rebalancing) revert FeeRateLockedWhileRebalancing();
        if (ratePpm > $.maxFeeRatePpm) revert FeeRateAboveMax(ratePpm, $.maxFeeRatePpm);
        uint256 factor = _accrue($);
        // Accrual under the old rate is done (or nothing was due at a zero rate): the new one starts now.
        $.feeAccrual = _packFee(factor, _pendingOf($.feeAccrual), block.timestamp, ratePpm);
        $.feeRatePpm = ratePpm;
        emit FeeRateSet(ratePpm);
    }

    /// @inheritdoc IIndexToken
    function setRebalancing(bool rebalancing) external onlyRole(REBALANCER_ROLE) {
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        // Freezing accrues up to now and sets the rate in force to zero, keeping the time of that
        // accrual; releasing restores the rate, so the next accrual covers the whole window.
        if (rebalancing) _accrue($);
        uint256 word = $.feeAccrual;
        uint256 rate = rebalancing ? 0 : $.feeRatePpm;
        $.feeAccrual = _packFee(_factorOf(word), _pendingOf(word), _accruedAtOf(word), rate);
        $.rebalancing = rebalancing;
        emit RebalancingSet(rebalancing);
    }

    /// @inheritdoc IIndexToken
    function setTokenset(address[] calldata assets, uint256[] calldata unitAmounts)
        external
        onlyRole(REBALANCER_ROLE)
        whenNotPaused
    {
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        _accrue($);
        uint256 word = $.feeAccrual;
        uint256 pendingUnits = _pendingOf(word);
        if (pendingUnits != 0) {
            // Past the cap a tokenset change waits for a fee sale rather than grow the basket further;
            // the fee stays pending meanwhile, and the sale (takeFee) is never blocked by the basket's size.
            uint256 held = $.feeAssets.length;
            if (held > MAX_FEE_ASSETS) revert FeeBasketTooLarge(held, MAX_FEE_ASSETS);
            _materializeFee($, pendingUnits);
            _emitFeeBasket($);
        }
        $.feeAccrual = _packFee(FeeMath.FACTOR_UNIT, 0, _accruedAtOf(word), _rateOf(word));
        _setTokenset(assets, unitAmounts);
    }

    /// @inheritdoc IIndexToken
    function takeFee(address[] calldata assets, uint256[] calldata amounts)
        external
        onlyRole(REBALANCER_ROLE)
        whenNotPaused
    {
        uint256 length = assets.length;
        if (amounts.length != length) revert FeeLengthMismatch(length, amounts.length);
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        uint256 factor = _accrue($);
        uint256 word = $.feeAccrual;
        uint256 held = $.feeAssets.length;
        _materializeFee($, _pendingOf(word));
        $.feeAccrual = _packFee(factor, 0, _accruedAtOf(word), _rateOf(word));
        for (uint256 i = 0; i < length; ++i) {
            address asset = assets[i];
            uint256 available = $.feeBalances[asset];
            if (amounts[i] > available) revert FeeBasketExceeded(asset, available, amounts[i]);
            // unchecked: amounts[i] <= available, checked just above.
            unchecked {
                available -= amounts[i];
            }
            $.feeBalances[asset] = available;
            if (available == 0 && amounts[i] != 0) _removeFeeAsset($, asset);
        }
        // A sale may grow the basket (by the fee due on the tokenset) only up to the cap, or to its size before.
        uint256 size = $.feeAssets.length;
        uint256 allowed = held > MAX_FEE_ASSETS ? held : MAX_FEE_ASSETS;
        if (size > allowed) revert FeeBasketTooLarge(size, allowed);
        _emitFeeBasket($);
    }

    /// @inheritdoc IIndexToken
    function tokenset() external view returns (address[] memory assets, uint256[] memory unitAmounts) {
        (assets, unitAmounts) = _tokenset();
        (uint256 factor,) = _project(_getIndexTokenStorage());
        for (uint256 i = 0; i < unitAmounts.length; ++i) {
            unitAmounts[i] = (unitAmounts[i] * factor) / FeeMath.FACTOR_UNIT;
        }
    }

    /// @inheritdoc IIndexToken
    function baseTokenset()
        external
        view
        returns (address[] memory assets, uint256[] memory baseUnitAmounts, uint256 factor)
    {
        (assets, baseUnitAmounts) = _tokenset();
        (factor,) = _project(_getIndexTokenStorage());
    }

    /// @inheritdoc IIndexToken
    function basket() external view returns (address[] memory assets, uint256[] memory amounts) {
        (assets, amounts) = _tokenset();
        (uint256 factor,) = _project(_getIndexTokenStorage());
        uint256 supply = totalSupply();
        for (uint256 i = 0; i < amounts.length; ++i) {
            amounts[i] = BasketMath.amountFor(supply, amounts[i], factor, true);
        }
    }

    /// @inheritdoc IIndexToken
    function feeBasket() external view returns (address[] memory assets, uint256[] memory amounts) {
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        (, uint256 pendingUnits) = _project($);
        (address[] memory tsAssets, uint256[] memory baseUnits) = _tokenset();
        address[] memory feeAssets = $.feeAssets;
        assets = new address[](feeAssets.length + tsAssets.length);
        amounts = new uint256[](assets.length);
        // Merge the two ascending lists; an asset in both gets its materialized and pending parts.
        uint256 f = 0;
        uint256 t = 0;
        uint256 n = 0;
        while (f < feeAssets.length || t < tsAssets.length) {
            address next;
            if (t == tsAssets.length || (f < feeAssets.length && feeAssets[f] <= tsAssets[t])) {
                next = feeAssets[f];
            } else {
                next = tsAssets[t];
            }
            uint256 amount = 0;
            if (f < feeAssets.length && feeAssets[f] == next) {
                amount = $.feeBalances[next];
                ++f;
            }
            if (t < tsAssets.length && tsAssets[t] == next) {
                amount += (pendingUnits * baseUnits[t]) / BasketMath.UNIT;
                ++t;
            }
            if (amount != 0) {
                assets[n] = next;
                amounts[n] = amount;
                ++n;
            }
        }
        assembly {
            mstore(assets, n)
            mstore(amounts, n)
        }
    }

    /// @inheritdoc IIndexToken
    function feeBasketSize() external view returns (uint256 assets, uint256 maxAssets) {
        return (_getIndexTokenStorage().feeAssets.length, MAX_FEE_ASSETS);
    }

    /// @inheritdoc IIndexToken
    function feeFactor() external view returns (uint256 factor) {
        (factor,) = _project(_getIndexTokenStorage());
    }

    /// @inheritdoc IIndexToken
    function feeState() external view returns (FeeState memory state) {
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        (uint256 factor, uint256 pendingUnits) = _project($);
        state = FeeState({
            factor: factor,
            pendingUnits: pendingUnits,
            accruedAt: _accruedAtOf($.feeAccrual),
            ratePpm: $.feeRatePpm,
            maxRatePpm: $.maxFeeRatePpm,
            rebalancing: $.rebalancing
        });
    }

    /**
     * @dev Replaces the tokenset after validating it; the one place it changes (creation and
     * `setTokenset`), so every change gets the same checks and the event.
     */
    function _setTokenset(address[] memory assets, uint256[] memory unitAmounts) internal {
        uint256 length = assets.length;
        if (length == 0) revert TokensetEmpty();
        if (length > MAX_ASSETS) revert TokensetTooLarge(length, MAX_ASSETS);
        if (unitAmounts.length != length) revert TokensetLengthMismatch(length, unitAmounts.length);
        // The data contract's code: a STOP byte (so calling it does nothing), then the entries.
        bytes memory code = new bytes(1 + 32 * length);
        address previous = address(0);
        for (uint256 i = 0; i < length; ++i) {
            address asset = assets[i];
            uint256 amount = unitAmounts[i];
            if (asset <= previous) revert TokensetNotSorted(i, asset);
            if (amount == 0 || amount > type(uint96).max) revert TokensetAmountInvalid(i, amount);
            uint256 entry = (uint256(uint160(asset)) << 96) | amount;
            assembly {
                mstore(add(code, add(33, mul(i, 32))), entry)
            }
            previous = asset;
        }
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        $.tokensetData = _writeData(code);
        // Cannot truncate: length <= MAX_ASSETS.
        $.tokensetLength = uint96(length);
        emit BasketUpdated(assets, unitAmounts, totalSupply());
    }

    /**
     * @dev Brings the fee word up to now: one read, and one write plus an event when time has
     * passed at a non-zero rate. Returns the factor now.
     */
    function _accrue(IndexTokenStorage storage $) private returns (uint256 factor) {
        uint256 word = $.feeAccrual;
        uint256 rate = _rateOf(word);
        uint256 accruedAt = _accruedAtOf(word);
        factor = _factorOf(word);
        if (rate == 0 || accruedAt == block.timestamp) return factor;
        uint256 pendingUnits;
        (factor, pendingUnits) = _advance(word, factor, rate, accruedAt);
        $.feeAccrual = _packFee(factor, pendingUnits, block.timestamp, rate);
        emit FeeAccrued(factor, pendingUnits);
    }

    /// @dev The factor and pending fee units as an accrual now would leave them, without writing.
    function _project(IndexTokenStorage storage $) private view returns (uint256 factor, uint256 pendingUnits) {
        uint256 word = $.feeAccrual;
        uint256 rate = _rateOf(word);
        uint256 accruedAt = _accruedAtOf(word);
        factor = _factorOf(word);
        if (rate == 0 || accruedAt == block.timestamp) return (factor, _pendingOf(word));
        return _advance(word, factor, rate, accruedAt);
    }

    /**
     * @dev The closed form from `accruedAt` to now: the factor decays and the supply's share of
     * the drop, `floor(totalSupply * (old - new) / 1e27)` base index units, joins the pending fee.
     */
    function _advance(uint256 word, uint256 factor, uint256 rate, uint256 accruedAt)
        private
        view
        returns (uint256 next, uint256 pendingUnits)
    {
        next = FeeMath.decay(factor, rate, block.timestamp - accruedAt);
        // The factor only decays, so factor - next cannot underflow; the sum must fit its 96 bits.
        uint256 sum = _pendingOf(word) + (totalSupply() * (factor - next)) / FeeMath.FACTOR_UNIT;
        pendingUnits = sum.toUint96();
    }

    /**
     * @dev Moves `pendingUnits` base index units of fee into the per-asset fee basket at the
     * current base tokenset, `floor(pendingUnits * baseUnitAmount / 1e18)` per asset; an asset
     * whose share rounds to zero is not added. The caller clears the pending units in the fee word,
     * bounds the basket's size and announces it.
     */
    function _materializeFee(IndexTokenStorage storage $, uint256 pendingUnits) private {
        if (pendingUnits == 0) return;
        (address[] memory assets, uint256[] memory baseUnits) = _tokenset();
        for (uint256 i = 0; i < assets.length; ++i) {
            uint256 amount = (pendingUnits * baseUnits[i]) / BasketMath.UNIT;
            if (amount == 0) continue;
            uint256 balance = $.feeBalances[assets[i]];
            if (balance == 0) _insertFeeAsset($, assets[i]);
            $.feeBalances[assets[i]] = balance + amount;
        }
    }

    /// @dev Adds `asset` to the ascending list of fee assets.
    function _insertFeeAsset(IndexTokenStorage storage $, address asset) private {
        address[] storage list = $.feeAssets;
        uint256 length = list.length;
        list.push(asset);
        uint256 i = length;
        while (i > 0 && list[i - 1] > asset) {
            list[i] = list[i - 1];
            --i;
        }
        list[i] = asset;
    }

    /// @dev Removes `asset` (present) from the ascending list of fee assets, keeping the order.
    function _removeFeeAsset(IndexTokenStorage storage $, address asset) private {
        address[] storage list = $.feeAssets;
        uint256 last = list.length - 1;
        uint256 i = 0;
        while (list[i] != asset) ++i;
        for (; i < last; ++i) {
            list[i] = list[i + 1];
        }
        list.pop();
    }

    function _emitFeeBasket(IndexTokenStorage storage $) private {
        address[] memory assets = $.feeAssets;
        uint256[] memory amounts = new uint256[](assets.length);
        for (uint256 i = 0; i < assets.length; ++i) {
            amounts[i] = $.feeBalances[assets[i]];
        }
        emit FeeBasketUpdated(assets, amounts);
    }

    function _tokenset() private view returns (address[] memory assets, uint256[] memory unitAmounts) {
        IndexTokenStorage storage $ = _getIndexTokenStorage();
        address data = $.tokensetData;
        uint256 length = $.tokensetLength;
        assets = new address[](length);
        unitAmounts = new uint256[](length);
        // Copy the entries into `unitAmounts` in place, then split each into asset and amount.
        assembly {
            extcodecopy(data, add(unitAmounts, 32), 1, mul(length, 32))
        }
        for (uint256 i = 0; i < length; ++i) {
            uint256 entry = unitAmounts[i];
            assets[i] = address(uint160(entry >> 96));
            unitAmounts[i] = uint96(entry);
        }
    }

    /**
     * @dev Deploys a contract whose code is `code`. The 10-byte constructor
     * `PUSH2 len DUP1 PUSH1 10 PUSH0 CODECOPY PUSH0 RETURN` copies what follows it into memory and
     * returns it as the runtime code.
     */
    function _writeData(bytes memory code) private returns (address data) {
        bytes memory initCode = abi.encodePacked(hex"61", uint16(code.length), hex"80600a5f395ff3", code);
        assembly {
            data := create(0, add(initCode, 32), mload(initCode))
        }
        if (data == address(0)) revert TokensetWriteFailed();
    }

    /// @dev Packs the fee word; every field is range-checked by its producer (factor <= 1e27 < 2^96,
    /// pending units checked in `_advance`, timestamps below 2^40, rates below 2^24).
    function _packFee(uint256 factor, uint256 pendingUnits, uint256 accruedAt, uint256 rate)
        private
        pure
        returns (uint256)
    {
        return factor | (pendingUnits << 96) | (accruedAt << 192) | (rate << 232);
    }

    /// @dev The factor in the fee word; zero (a token from before the fee existed) reads as 1e27.
    function _factorOf(uint256 word) private pure returns (uint256 factor) {
        factor = uint96(word);
        if (factor == 0) factor = FeeMath.FACTOR_UNIT;
    }

    function _pendingOf(uint256 word) private pure returns (uint256) {
        return uint96(word >> 96);
    }

    function _accruedAtOf(uint256 word) private pure returns (uint256) {
        return uint40(word >> 192);
    }

    function _rateOf(uint256 word) private pure returns (uint256) {
        return word >> 232;
    }

    function _getIndexTokenStorage() private pure returns (IndexTokenStorage storage $) {
        assembly {
            $.slot := INDEX_TOKEN_STORAGE_LOCATION
        }
    }
}
